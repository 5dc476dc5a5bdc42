// The OFS chat widget's loader: <script src="https://chat.example.org/widget.js" defer></script>
// and a <div data-ofs-widget ...> on the page (see the demo page at / for the options). It
// loads the widget's modules from where this script came from, whatever the page's origin.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(".", script ? script.src : location.href);
  function start() {
    import(new URL("widget/ui.js", base).href).then(
      function (m) { m.mountAll(script, base); },
      function (e) { console.error("OFS widget: cannot load its modules from " + base.href + ": " + e); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
