// Search boxes: suggestions as you type (ARIA 1.2 combobox with a listbox popup) and the
// filter panel of the search page.  Progressive enhancement only: without this script the
// box is a plain search field and the filters sit behind a <details> that opens by itself.
// No inline handlers or styles (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function listOf(input) {
    return document.getElementById(input.getAttribute("aria-controls"));
  }
  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[role="option"]'));
  }
  function setActive(input, option) {
    var list = listOf(input);
    options(list).forEach(function (o) {
      var on = o === option;
      o.setAttribute("aria-selected", on ? "true" : "false");
      o.classList.toggle("is-active", on);
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function open(input) {
    var list = listOf(input);
    var any = options(list).length > 0 && input.value.trim() !== "";
    list.hidden = !any;
    input.setAttribute("aria-expanded", any ? "true" : "false");
    setActive(input, null);
  }
  function close(input) {
    var list = listOf(input);
    if (list) list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(input, null);
  }
  function choose(option) {
    var url = option && option.getAttribute("data-url");
    if (url) window.location.assign(url);
  }
  function comboboxOf(el) {
    return el && el.matches && el.matches('input[role="combobox"]') ? el : null;
  }

  // htmx filled a listbox: show it when it has options.
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.target;
    if (!list.matches || !list.matches('[role="listbox"]') || !list.id) return;
    var input = document.querySelector('input[role="combobox"][aria-controls="' + list.id + '"]');
    if (input && document.activeElement === input) open(input);
  });

  document.addEventListener("keydown", function (event) {
    var input = comboboxOf(event.target);
    if (!input) return;
    var list = listOf(input);
    var opts = options(list);
    var current = list.querySelector('[aria-selected="true"]');
    var i = opts.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!opts.length) return;
      event.preventDefault();
      if (list.hidden) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = i < 0 ? (step > 0 ? 0 : opts.length - 1) : (i + step + opts.length) % opts.length;
      setActive(input, opts[next]);
    } else if (event.key === "Enter" && current && !list.hidden) {
      event.preventDefault();
      choose(current);
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        close(input);
      }
    } else if (event.key === "Tab") {
      close(input);
    }
  });

  // A pointer on an option: go to it (mousedown, so that the input's blur does not close
  // the list first).
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest('[role="listbox"] [role="option"]');
    if (option && option.hasAttribute("data-url")) {
      event.preventDefault();
      choose(option);
    }
  });

  document.addEventListener("focusout", function (event) {
    var input = comboboxOf(event.target);
    if (input) close(input);
  });

  // The search page's filter panel: open in the side column on a wide screen, closed
  // (behind its "筛选 (N)" summary) on a phone.
  function placeFilters() {
    var panel = document.getElementById("search-filters");
    if (!panel) return;
    var wide = window.matchMedia("(min-width: 60em)");
    panel.open = wide.matches;
    wide.addEventListener("change", function (e) { panel.open = e.matches; });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", placeFilters);
  } else {
    placeFilters();
  }
})();
