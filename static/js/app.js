// Site script: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  // Ticking an agency for comparison (its checkbox belongs to #compare-form) is not a change
  // of the search or filter form around it: keep the event from reaching that form's htmx.
  document.addEventListener("change", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("form") === "compare-form") {
      event.stopPropagation();
    }
  }, true);
  // Send the CSRF token with every htmx request (Flask-WTF reads X-CSRFToken): the
  // token of the request's own form when it has one (a re-rendered form carries a fresh
  // token after the session expired), else the page's.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    var own = form ? form.querySelector('input[name="csrf_token"]') : null;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (own) {
      event.detail.headers["X-CSRFToken"] = own.value;
    } else if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });
  // Let htmx swap forms re-rendered with their errors: 422, or any status marked with
  // X-Form-Rerender.  Any other error is never swapped in (no page inside a page): a form
  // with a status region (#submit-status) says what happened there.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 422 || xhr.getResponseHeader("X-Form-Rerender") === "1") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (xhr.status >= 400) {
      event.detail.shouldSwap = false;
      showRequestError(event.detail.elt, xhr);
    }
  });
  // Character counters: <textarea data-maxlength-counter="ID">.
  function updateCounter(field) {
    var target = document.getElementById(field.getAttribute("data-maxlength-counter"));
    if (!target) return;
    var max = parseInt(field.getAttribute("maxlength"), 10);
    target.textContent = field.value.length + " / " + max;
  }
  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-maxlength-counter")) {
      updateCounter(event.target);
    }
  });
  function updateCounters() {
    document.querySelectorAll("[data-maxlength-counter]").forEach(updateCounter);
  }
  document.addEventListener("DOMContentLoaded", updateCounters);
  // A page restored from the back/forward cache keeps its text: count it again.
  window.addEventListener("pageshow", updateCounters);
  // <button data-print>: print the page (no inline onclick: the CSP forbids it).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  // -- The tip form (intake): status region, progress, focus, draft, one submission -----

  var DRAFT_PREFIX = "lantian.draft.";
  var SENT_KEYS = "lantian.sentSubmissionKeys";
  var NOT_DRAFTED = { csrf_token: 1, submission_key: 1, website: 1 };

  function storage() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null;  // storage disabled: the form works without drafts
    }
  }

  function statusRegionFor(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    return form ? form.querySelector("#submit-status") : null;
  }

  function waitText(region, header) {
    var seconds = parseInt(header, 10);
    if (isNaN(seconds) && header) {
      seconds = Math.ceil((Date.parse(header) - Date.now()) / 1000);
    }
    if (isNaN(seconds) || seconds <= 0) return null;
    if (seconds < 120) return region.getAttribute("data-msg-seconds").replace("{n}", seconds);
    return region.getAttribute("data-msg-minutes").replace("{n}", Math.ceil(seconds / 60));
  }

  function errorText(region, xhr) {
    var status = xhr ? xhr.status : 0;
    if (status === 429) {
      var wait = waitText(region, xhr.getResponseHeader("Retry-After"));
      return wait ? region.getAttribute("data-msg-429").replace("{wait}", wait)
                  : region.getAttribute("data-msg-429-later");
    }
    if (status === 413) return region.getAttribute("data-msg-413");
    if (status >= 500) return region.getAttribute("data-msg-5xx");
    if (!status) return region.getAttribute("data-msg-network");
    return region.getAttribute("data-msg-other").replace("{status}", status);
  }

  // Say in the form's status region why the request failed; focus it so that it is seen
  // (and read) on a phone.  The input stays as it was.
  function showRequestError(elt, xhr) {
    var region = statusRegionFor(elt);
    if (!region) return;
    region.textContent = errorText(region, xhr);
    region.classList.add("form-status-error");
    region.focus();
    region.scrollIntoView({ block: "center" });
  }

  function clearRequestError(elt) {
    var region = statusRegionFor(elt);
    if (!region) return;
    region.textContent = "";
    region.classList.remove("form-status-error");
  }

  document.addEventListener("htmx:sendError", function (event) {
    showRequestError(event.detail.elt, null);
  });
  document.addEventListener("htmx:timeout", function (event) {
    showRequestError(event.detail.elt, null);
  });

  // Upload progress for the whole request (htmx relays the XHR's upload events).
  function progressParts(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    var box = form ? form.querySelector("#upload-progress") : null;
    if (!box) return null;
    return { box: box, bar: box.querySelector("progress"),
             text: box.querySelector("#upload-progress-text") };
  }

  function setProgress(parts, percent) {
    parts.bar.value = percent;
    parts.text.textContent = percent + "%";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var parts = progressParts(event.detail.elt);
    if (!parts || event.detail.requestConfig.verb !== "post") return;
    clearRequestError(event.detail.elt);
    setProgress(parts, 0);
    parts.box.hidden = false;
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var parts = progressParts(event.target);
    if (!parts || parts.box.hidden || !event.detail.lengthComputable || !event.detail.total) return;
    var percent = Math.floor((event.detail.loaded / event.detail.total) * 100);
    if (percent > parts.bar.value) setProgress(parts, percent);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var parts = progressParts(event.detail.elt);
    if (parts) parts.box.hidden = true;
  });
  // The receipt replaces the form (HX-Retarget): remember its key while the form is still
  // in the document (events of removed elements no longer reach the document).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    var form = elt && elt.closest ? elt.closest("#tip-form") : null;
    if (form && event.detail.xhr.status === 200 && event.detail.xhr.getResponseHeader("HX-Retarget")) {
      rememberSent(form);
    }
  });

  // After a failed submission: focus the notice or the error summary and show it.
  function focusFormProblems(root) {
    var target = root.querySelector("#form-notice, #form-errors");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
    target.scrollIntoView({ block: "start" });
  }

  // The receipt: focus its heading, show the copy/print buttons, forget the draft.
  function setUpReceipt(receipt) {
    receipt.querySelectorAll("[data-copy-from], [data-print]").forEach(function (button) {
      button.hidden = false;
    });
    Object.keys(storage() || {}).forEach(function (name) {
      if (name.indexOf(DRAFT_PREFIX) === 0) storage().removeItem(name);
    });
    var heading = receipt.querySelector("#receipt-heading");
    if (heading) heading.focus();
  }

  function copyCode(button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    function done(ok) {
      if (status) status.textContent = status.getAttribute(ok ? "data-msg-copied" : "data-msg-failed");
    }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); },
                                                      function () { done(document.execCommand("copy")); });
    } else {
      done(document.execCommand("copy"));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-from]") : null;
    if (button) copyCode(button);
  });

  // One submission key per rendered form: remember the keys that were filed, so that a
  // form brought back (Back button, history cache) says so before it is sent again.
  function sentKeys() {
    var store = storage();
    try {
      return JSON.parse((store && store.getItem(SENT_KEYS)) || "[]");
    } catch (e) {
      return [];
    }
  }

  function rememberSent(form) {
    var store = storage();
    var key = form.querySelector('input[name="submission_key"]');
    if (!store || !key) return;
    var keys = sentKeys().concat([key.value]).slice(-20);
    store.setItem(SENT_KEYS, JSON.stringify(keys));
    store.removeItem(DRAFT_PREFIX + form.getAttribute("data-draft-key"));
  }

  function flagIfSent(form) {
    var key = form.querySelector('input[name="submission_key"]');
    var notice = form.querySelector("#sent-notice");
    if (key && notice) notice.hidden = sentKeys().indexOf(key.value) === -1;
  }

  // The draft: text, choices and the submission key, kept in sessionStorage while typing
  // and put back after a reload (files cannot be kept: the form asks for them again).
  function draftName(form) {
    return DRAFT_PREFIX + form.getAttribute("data-draft-key");
  }

  function saveDraft(form) {
    var store = storage();
    if (!store) return;
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_DRAFTED[el.name] || el.type === "file" || el.type === "submit" ||
          el.type === "button") return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) fields[el.name] = el.value;
        else if (!(el.name in fields)) fields[el.name] = null;
      } else {
        fields[el.name] = el.value;
      }
    });
    var key = form.querySelector('input[name="submission_key"]');
    store.setItem(draftName(form), JSON.stringify({ key: key ? key.value : "", fields: fields }));
  }

  function loadDraft(form) {
    var store = storage();
    try {
      return JSON.parse((store && store.getItem(draftName(form))) || "null");
    } catch (e) {
      return null;
    }
  }

  function applyField(form, name, value) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name !== name) return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = value !== null && el.value === value;
      else if (el.tagName === "SELECT" || el.type !== "file") el.value = value === null ? "" : value;
    });
  }

  // Province/city/district options depend on each other: ask the server for the lists of
  // the drafted place, then the draft's values are among them.
  function restorePlace(form, fields) {
    var box = form.querySelector("#place-fields");
    var city = form.querySelector("#place-city");
    if (!box || !fields.province || !window.htmx) return;
    var wanted = fields.city || fields.district;
    var have = wanted && (form.querySelector('#place-city option[value="' + wanted + '"]') ||
                          form.querySelector('#place-district option[value="' + wanted + '"]'));
    if (!wanted || (have && city)) return;
    var query = "?province=" + encodeURIComponent(fields.province) +
                "&city=" + encodeURIComponent(fields.city || "") +
                "&district=" + encodeURIComponent(fields.district || "");
    window.htmx.ajax("GET", box.getAttribute("hx-get") + query, { target: box, swap: "outerHTML" });
  }

  function restoreDraft(form) {
    // A form the server sent back with errors or a notice already holds the input.
    if (form.querySelector("#form-errors, #form-notice")) return;
    var draft = loadDraft(form);
    if (!draft || !draft.fields) return;
    if (sentKeys().indexOf(draft.key) !== -1) return;
    Object.keys(draft.fields).forEach(function (name) { applyField(form, name, draft.fields[name]); });
    var key = form.querySelector('input[name="submission_key"]');
    // Same key as before the reload: a tip filed before a lost response is not filed again.
    if (key && draft.key) key.value = draft.key;
    restorePlace(form, draft.fields);
    updateCounters();
  }

  function setUpTipForm(form, restored) {
    if (!restored) restoreDraft(form);
    flagIfSent(form);
    updateCounters();
    focusFormProblems(form);
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest ? event.target.closest("#tip-form") : null;
    if (form) saveDraft(form);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest ? event.target.closest("#tip-form") : null;
    if (form) saveDraft(form);
  });

  function setUpPage(restored) {
    var form = document.getElementById("tip-form");
    if (form) setUpTipForm(form, restored);
    var receipt = document.getElementById("receipt");
    if (receipt) setUpReceipt(receipt);
  }

  document.addEventListener("DOMContentLoaded", function () { setUpPage(false); });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) setUpPage(true);  // back/forward cache: the DOM is as it was
  });
  document.addEventListener("htmx:historyRestore", function () { setUpPage(true); });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.querySelector && target.querySelector("#receipt")) {
      setUpReceipt(target.querySelector("#receipt"));
    }
  });
  // A re-rendered tip form (errors, expired token): count, flag and focus its problems.
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = document.getElementById("tip-form");
    var xhr = event.detail.xhr;
    if (form && xhr && xhr.getResponseHeader("X-Form-Rerender") === "1") {
      flagIfSent(form);
      updateCounters();
      focusFormProblems(form);
      saveDraft(form);
    }
  });
})();
