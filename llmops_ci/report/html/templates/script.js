(function () {
  // Filters and search over the drill-down; without JavaScript every case is simply listed.
  var bar = document.getElementById("filters");
  var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
  if (!bar || !cases.length) { return; }
  bar.hidden = false;
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var filter = "all";
  var texts = cases.map(function (c) { return c.textContent.toLowerCase(); });
  function apply() {
    var query = search.value.trim().toLowerCase();
    var count = 0;
    cases.forEach(function (c, i) {
      var statuses = c.getAttribute("data-status").split(" ");
      var visible = (filter === "all" || statuses.indexOf(filter) >= 0) && (!query || texts[i].indexOf(query) >= 0);
      c.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + cases.length + " shown";
  }
  function choose(button) {
    filter = button.getAttribute("data-filter");
    bar.querySelectorAll("button").forEach(function (b) { b.classList.toggle("on", b === button); });
    apply();
  }
  bar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-filter]");
    if (button) { choose(button); }
  });
  search.addEventListener("input", apply);
  // a link to report.html#filter=error opens with that filter chosen
  var wanted = /^#filter=(\w+)$/.exec(window.location.hash);
  var initial = wanted && bar.querySelector('button[data-filter="' + wanted[1] + '"]');
  if (initial) { choose(initial); } else { apply(); }
})();
