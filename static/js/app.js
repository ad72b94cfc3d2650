// Site script: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  // Send the CSRF token with every htmx request (Flask-WTF reads X-CSRFToken).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });
  // Let htmx swap 4xx validation responses (forms re-render with their errors).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-maxlength-counter]").forEach(updateCounter);
  });
})();
