// stalecreds HTML report: sorts and filters the credentials table. No network, no libraries.
//
// The filters and the sort live in the URL fragment, so a link can open the report filtered:
//   report.html#verdict=unused&account=123456789012&kind=access_key&user=bob&findings=1
//              &sort=last_used&dir=desc
"use strict";
(function () {
  var table = document.getElementById("credentials");
  var form = document.getElementById("filters");
  if (!table || !form) {
    return;
  }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var shown = document.getElementById("shown");
  var empty = document.getElementById("empty");
  var sort = { key: "", dir: "asc" };

  function control(name) {
    return form.elements.namedItem(name);
  }

  function filters() {
    return {
      verdict: control("verdict").value,
      account: control("account").value,
      kind: control("kind").value,
      user: control("user").value.trim().toLowerCase(),
      findings: control("findings").checked
    };
  }

  function matches(row, f) {
    var data = row.dataset;
    if (f.verdict && data.verdict !== f.verdict) return false;
    if (f.account && data.account !== f.account) return false;
    if (f.kind && data.kind !== f.kind) return false;
    if (f.findings && data.finding !== "1") return false;
    if (f.user) {
      var user = data.user.toLowerCase();
      var arn = data.arn.toLowerCase();
      if (user.indexOf(f.user) < 0 && arn.indexOf(f.user) < 0) return false;
    }
    return true;
  }

  function applyFilters() {
    var f = filters();
    var count = 0;
    rows.forEach(function (row) {
      var ok = matches(row, f);
      row.hidden = !ok;
      if (ok) count += 1;
    });
    shown.textContent = "Showing " + count + " of " + rows.length + " credentials";
    shown.dataset.count = String(count);
    empty.hidden = count !== 0;
  }

  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent;
  }

  function applySort() {
    var index = -1;
    headers.forEach(function (th, i) {
      if (th.dataset.key === sort.key) {
        index = i;
        th.setAttribute("aria-sort", sort.dir === "asc" ? "ascending" : "descending");
      } else {
        th.setAttribute("aria-sort", "none");
      }
    });
    var ordered = rows.slice();
    if (index >= 0) {
      var numeric = headers[index].dataset.type === "number";
      var sign = sort.dir === "asc" ? 1 : -1;
      ordered.sort(function (a, b) {
        var x = cellValue(a, index);
        var y = cellValue(b, index);
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y, "en", { numeric: true });
        return order * sign || Number(a.dataset.i) - Number(b.dataset.i);
      });
    }
    var fragment = document.createDocumentFragment();
    ordered.forEach(function (row) {
      fragment.appendChild(row);
    });
    tbody.appendChild(fragment);
  }

  function writeHash() {
    var f = filters();
    var params = new URLSearchParams();
    ["verdict", "account", "kind"].forEach(function (name) {
      if (f[name]) params.set(name, f[name]);
    });
    if (control("user").value.trim()) params.set("user", control("user").value.trim());
    if (f.findings) params.set("findings", "1");
    if (sort.key) {
      params.set("sort", sort.key);
      params.set("dir", sort.dir);
    }
    var hash = params.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (error) {
      // Some browsers refuse replaceState on file: pages; the fragment is a convenience only.
    }
  }

  function setSelect(select, value) {
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
    select.value = known ? value : "";
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    setSelect(control("verdict"), params.get("verdict") || "");
    setSelect(control("account"), params.get("account") || "");
    setSelect(control("kind"), params.get("kind") || "");
    control("user").value = params.get("user") || "";
    control("findings").checked = params.get("findings") === "1";
    var key = params.get("sort") || "";
    var valid = headers.some(function (th) {
      return th.dataset.key === key;
    });
    sort.key = valid ? key : "";
    sort.dir = params.get("dir") === "desc" ? "desc" : "asc";
  }

  function refresh() {
    applySort();
    applyFilters();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });
  form.addEventListener("input", function () {
    applyFilters();
    writeHash();
  });
  form.addEventListener("change", function () {
    applyFilters();
    writeHash();
  });
  form.addEventListener("reset", function () {
    setTimeout(function () {
      sort.key = "";
      refresh();
      writeHash();
    }, 0);
  });
  headers.forEach(function (th) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      if (sort.key === th.dataset.key) {
        sort.dir = sort.dir === "asc" ? "desc" : "asc";
      } else {
        sort.key = th.dataset.key;
        sort.dir = "asc";
      }
      applySort();
      writeHash();
    });
  });
  window.addEventListener("hashchange", function () {
    readHash();
    refresh();
  });

  readHash();
  refresh();
  document.documentElement.dataset.ready = "true";
})();
