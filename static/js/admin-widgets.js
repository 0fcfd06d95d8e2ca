/* Accessible names for the admin's select2 autocomplete widgets (Django's vendored select2 4.0.13).
 *
 * select2 hides the real <select> (which has the field's <label>) and draws its own controls, which have no
 * name: the single select's combobox points at its own rendered text, empty until something is chosen; the
 * multiple select's search box has none at all; and its list of choices also holds the "×" clear button, a
 * <span> no list may contain. Screen readers then announce "combobox" or "search" without saying for what
 * (axe: aria-input-field-name, label, list). select2 redraws these parts on every change, so a
 * MutationObserver names them again whenever a widget appears or changes (inline rows added later included).
 */
"use strict";
(function () {
  function fieldName(select) {
    const label = select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    if (label) return label.textContent.replace(/:\s*$/, "").trim();
    // A tabular inline has no <label> per row: its column header names the field.
    const cell = select.closest("td[class^='field-'], td[class*=' field-']");
    const column = cell && [...cell.classList].find((name) => name.startsWith("field-"));
    const header = column && cell.closest("table").querySelector(`th.column-${column.slice(6)}`);
    return header ? header.textContent.trim() : select.name;
  }

  function nameElement(select, text) {
    const id = `${select.id || select.name}-accessible-name`;
    let element = document.getElementById(id);
    if (!element) {
      element = document.createElement("span");
      element.id = id;
      element.className = "visually-hidden";
      element.textContent = text;
      select.after(element);
    }
    return id;
  }

  function name(container) {
    const select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT" || !container.querySelector(".select2-selection")) return;
    const text = fieldName(select);
    const nameId = nameElement(select, text);
    const rendered = container.querySelector(".select2-selection__rendered");
    const single = container.querySelector(".select2-selection--single");
    if (single && rendered && rendered.id) {
      // The field's name, then what is chosen: "Provider, Coursera".
      single.setAttribute("aria-labelledby", `${nameId} ${rendered.id}`);
      rendered.setAttribute("aria-labelledby", nameId);
    }
    const search = container.querySelector(".select2-search__field");
    if (search && search.getAttribute("aria-label") !== text) search.setAttribute("aria-label", text);
    if (rendered && rendered.tagName === "UL") {
      rendered.setAttribute("role", "list");
      const clear = rendered.querySelector(":scope > .select2-selection__clear");
      if (clear) clear.setAttribute("aria-hidden", "true"); // Backspace clears from the keyboard
    }
  }

  function nameAll(root) {
    root.querySelectorAll(".select2-container").forEach(name);
  }

  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      nameAll(document);
    });
  });
  document.addEventListener("DOMContentLoaded", () => {
    nameAll(document);
    observer.observe(document.body, { childList: true, subtree: true });
  });
})();
