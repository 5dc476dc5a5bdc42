// The demo page's own script: options in its query string (?mode=visitor&support=...,
// ?transport=bosh, ?theme=dark, ?start=minimised) become the widget's data-* attributes, so
// one page shows every mode. Runs before widget.js.
(function () {
  "use strict";
  var host = document.getElementById("chat");
  var names = ["mode", "support", "supportName", "visitorDomain", "sharePage", "theme", "start", "transport", "hostmeta", "websocket", "bosh"];
  var query = new URLSearchParams(location.search);
  names.forEach(function (n) {
    var v = query.get(n.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); })) || query.get(n);
    if (v !== null) host.dataset[n] = v;
  });
})();
