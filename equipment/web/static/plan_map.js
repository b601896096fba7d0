/* Plan review: depots, stops and routes as vector layers (tiles only when configured), and a
   progress bar that follows the router while it works. Also used for the driver's small map. */
(function () {
  "use strict";

  function drawMap(el, data) {
    if (!el || !window.L) return null;
    var map = L.map(el, { preferCanvas: false, zoomSnap: 0.25 });
    if (data.tiles) {
      L.tileLayer(data.tiles, { maxZoom: 18, attribution: data.attribution || "" }).addTo(map);
    }
    var bounds = [];
    (data.depots || []).forEach(function (d) {
      L.circleMarker([d.lat, d.lon], { radius: 9, color: "#1d2430", weight: 3, fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(d.code + " · " + d.name).addTo(map);
      bounds.push([d.lat, d.lon]);
    });
    (data.routes || []).forEach(function (r) {
      if (r.path && r.path.length > 1) {
        L.polyline(r.path, { color: r.colour, weight: 3, opacity: 0.8 }).bindTooltip(r.van).addTo(map);
      }
      r.stops.forEach(function (s) {
        L.circleMarker([s.lat, s.lon], {
          radius: 6, color: s.late ? "#b3261e" : r.colour, weight: s.late ? 3 : 1,
          fillColor: r.colour, fillOpacity: 0.85
        }).bindTooltip(r.van + " #" + s.seq + " · " + s.eta + (s.late ? " · LATE" : "") + "<br>" + s.refs.join(", "))
          .addTo(map);
        bounds.push([s.lat, s.lon]);
      });
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [20, 20] });
    else if (bounds.length === 1) map.setView(bounds[0], 13);
    else map.setView([52.19, 1.0], 9);
    return map;
  }

  function followProgress(card) {
    var id = card.getAttribute("data-plan-id");
    var bar = document.getElementById("plan-progress");
    var cost = document.getElementById("plan-cost");
    var status = document.getElementById("plan-status");
    function poll() {
      fetch("/api/v1/plans/" + id, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (plan) {
          bar.value = plan.progress || 0;
          if (plan.best_cost != null) cost.textContent = plan.best_cost.toLocaleString("en-GB");
          status.textContent = plan.status.charAt(0).toUpperCase() + plan.status.slice(1);
          if (plan.status === "done" || plan.status === "failed") window.location.reload();
          else window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dataEl = document.getElementById("plan-data");
    var mapEl = document.getElementById("plan-map");
    if (dataEl && mapEl) drawMap(mapEl, JSON.parse(dataEl.textContent));
    var card = document.getElementById("progress-card");
    if (card) followProgress(card);
  });

  window.PlanMap = { draw: drawMap };
})();
