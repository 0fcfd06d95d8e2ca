/* Search-box suggestions as the learner types: topics, careers, then course and book titles
 * (courses.views.course_suggestions), as an ARIA combobox with a listbox popup (WAI-ARIA APG pattern).
 *
 * Any <input data-suggest-url> gets it. Without JavaScript the box stays a plain search form, so every ARIA
 * attribute is added here. Keys: Down/Up move through the options (the focus stays in the box, the option is
 * its aria-activedescendant), Enter opens the chosen option (or searches when none is chosen), Escape closes
 * the list (a second Escape clears the box, as a search box does), Tab leaves. On the catalog the list closes
 * when the new results arrive, and Down opens it again. A status line says how many
 * suggestions there are, for screen readers.
 */
"use strict";
(function () {
  function setUp(input) {
    const listbox = document.createElement("ul");
    listbox.id = `${input.id}-suggestions`;
    listbox.className = "suggest__list";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Suggestions");
    listbox.hidden = true;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    const wrapper = document.createElement("div"); // the list's position is under the box, whatever its row holds
    wrapper.className = "suggest";
    input.before(wrapper);
    wrapper.append(input, listbox, status);
    // A combobox is a text box in HTML's rules (type=search may not take the role); the keyboard's "search" key
    // stays through enterkeyhint, and Escape on a closed list clears the box as a search box would.
    input.type = "text";
    input.enterKeyHint = "search";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-expanded", "false");

    let asked = 0; // only the answer to the latest keystroke is shown
    let timer = null;
    let active = -1;
    const options = () => [...listbox.querySelectorAll("[role=option]")];

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      const all = options();
      all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }

    function show(html) {
      listbox.innerHTML = html; // the server escapes every label; the CSP allows no script in it anyway
      const all = options();
      all.forEach((option, i) => { option.id = `${listbox.id}-${i + 1}`; });
      active = -1;
      if (all.length && document.activeElement === input) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = `${all.length} suggestion${all.length === 1 ? "" : "s"}: use the up and down arrows to choose.`;
      } else {
        close();
        status.textContent = "";
      }
    }

    async function ask() {
      const text = input.value.trim();
      const mine = ++asked;
      if (!text) {
        close();
        return;
      }
      try {
        const url = new URL(input.dataset.suggestUrl, window.location.href);
        url.searchParams.set("q", text);
        const response = await fetch(url, { headers: { Accept: "text/html" } });
        if (!response.ok || mine !== asked) return;
        const html = await response.text();
        if (mine === asked) show(html);
      } catch (error) {
        close(); // offline or a slow network: the box still searches on Enter
      }
    }

    function go(option) {
      close();
      window.location.assign(option.dataset.href);
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", (event) => {
      const all = options();
      const open = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!all.length) return;
        event.preventDefault();
        if (!open) {
          listbox.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        if (event.key === "ArrowDown") choose(active + 1 < all.length ? active + 1 : 0);
        else choose(active > 0 ? active - 1 : all.length - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        go(all[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        input.dispatchEvent(new Event("input", { bubbles: true })); // the catalog updates its results
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", close);
    // On the catalog, typing also brings new results (htmx swaps them in under the box). Once they arrive, the
    // list steps aside so the results and their count are in sight; Down opens it again. Not while choosing.
    document.addEventListener("htmx:afterSwap", (event) => {
      if (input.isConnected && active < 0 && input.form && input.form.contains(event.target)) close();
    });
    // mousedown, not click: a click would blur the box first, closing the list before the click lands.
    listbox.addEventListener("mousedown", (event) => {
      const option = event.target.closest("[role=option]");
      if (!option) return;
      event.preventDefault();
      go(option);
    });
  }

  // A box htmx brought back (Back and Forward restore the whole page from the server) is set up again.
  const setUpAll = () => document.querySelectorAll("input[data-suggest-url]:not([role=combobox])").forEach(setUp);
  document.addEventListener("htmx:historyRestore", setUpAll);
  document.addEventListener("htmx:load", setUpAll);
  setUpAll();
})();
