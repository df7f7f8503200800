// Filters the case table by status and module: plain DOM, no framework,
// so the report stays one offline file.
(function () {
  "use strict";
  var st = document.getElementById("filter-status");
  var mod = document.getElementById("filter-module");
  if (!st || !mod) { return; }
  function apply() {
    var rows = document.querySelectorAll("tr.case");
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (st.value === "" || r.dataset.status === st.value) &&
        (mod.value === "" || r.dataset.module === mod.value);
      r.hidden = !ok;
      if (ok) { shown++; }
    }
    var n = document.getElementById("filter-count");
    if (n) { n.textContent = shown + " of " + rows.length + " cases"; }
  }
  // A printed report shows every case's details, not only the open ones.
  window.addEventListener("beforeprint", function () {
    var ds = document.querySelectorAll("details");
    for (var i = 0; i < ds.length; i++) { ds[i].open = true; }
  });
  st.addEventListener("change", apply);
  mod.addEventListener("change", apply);
  apply();
})();
