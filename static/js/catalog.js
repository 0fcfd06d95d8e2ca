// The catalog's filters: open beside the results on wide screens, collapsed behind "Filters (n)" on phones so the
// results start under the search box. Each search swaps the filters in anew (closed, as the server sends them), so
// the learner's own choice to open or close them is kept across swaps. Without JavaScript the filters stay closed
// until opened, and work the same.
(() => {
  document.documentElement.classList.add("js"); // site.css shows closed filters on wide screens only without it
  const wide = window.matchMedia("(min-width: 56rem)");
  let chosen = null; // what the learner chose by opening or closing the filters; null until they do

  const wanted = () => chosen ?? wide.matches;

  function apply() {
    const filters = document.querySelector("details.facets");
    if (filters && filters.open !== wanted()) filters.open = wanted();
  }

  // Only a toggle that leaves the filters other than wanted is the learner's: apply()'s own toggles match it.
  document.addEventListener("toggle", (event) => {
    const filters = event.target;
    if (filters instanceof HTMLDetailsElement && filters.matches(".facets") && filters.open !== wanted()) {
      chosen = filters.open;
    }
  }, true);
  document.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("htmx:historyRestore", apply);
  wide.addEventListener("change", () => { chosen = null; apply(); });
  apply();
})();
