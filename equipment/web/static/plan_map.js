/* Plan review: depots, stops and routes as vector layers over tiles when configured, else over
   the county's outline and towns the project ships; a legend of vans; the wheel zooms only a
   map that was clicked or focused. And a progress bar that follows the router while it works.
   Also used for the driver's small map. */
(function () {
  "use strict";

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  // Without tiles: the county's outline and its towns (shipped with the project) as the background.
  function drawBackground(map, data) {
    var bounds = [];
    if (data.outline) {
      var outline = L.geoJSON(data.outline, {
        interactive: false,
        style: { color: "#7d8794", weight: 1.5, fillColor: "#f7f4ea", fillOpacity: 1 }
      }).addTo(map);
      var b = outline.getBounds();
      if (b.isValid()) bounds.push(b.getSouthWest(), b.getNorthEast());
    }
    (data.towns || []).forEach(function (t) {
      L.circleMarker([t.lat, t.lon], { radius: 2.5, color: "#5b6472", weight: 1, fillColor: "#5b6472", fillOpacity: 1, interactive: false })
        .bindTooltip(escapeText(t.name), { permanent: true, direction: "right", className: "town-label", offset: [4, 0] })
        .addTo(map);
    });
    return bounds;
  }

  function addLegend(map, data) {
    var routes = data.routes || [];
    if (!data.legend || !routes.length) return;
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend");
      var rows = routes.map(function (r) {
        return '<li><span class="swatch" style="background:' + escapeText(r.colour) + '"></span>' +
          escapeText(r.van) + " · " + r.stops.length + (r.stops.length === 1 ? " stop" : " stops") + "</li>";
      });
      if ((data.depots || []).length) rows.push('<li><span class="swatch depot"></span>Depot</li>');
      rows.push('<li><span class="swatch late"></span>Late stop</li>');
      box.innerHTML = "<strong>Vans</strong><ul>" + rows.join("") + "</ul>";
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  // The page keeps its scrolling: the wheel zooms the map only once it is clicked or focused.
  // (DOM events on the container: Leaflet's own mouseout also fires on leaving any marker.)
  function wheelOnlyWhenChosen(map, el) {
    var on = function () { map.scrollWheelZoom.enable(); };
    var off = function () { map.scrollWheelZoom.disable(); };
    el.addEventListener("click", on);
    el.addEventListener("focus", on);
    el.addEventListener("mouseleave", off);
    el.addEventListener("blur", off);
  }

  function drawMap(el, data) {
    if (!el || !window.L) return null;
    var map = L.map(el, { preferCanvas: false, zoomSnap: 0.25, scrollWheelZoom: false });
    map.setView([52.19, 1.0], 9);  // a view before any layer: permanent labels need one to open
    wheelOnlyWhenChosen(map, el);
    var background = [];
    if (data.tiles) {
      L.tileLayer(data.tiles, { maxZoom: 18, attribution: data.attribution || "" }).addTo(map);
    } else {
      background = drawBackground(map, data);
    }
    var bounds = [];
    (data.depots || []).forEach(function (d) {
      L.circleMarker([d.lat, d.lon], { radius: 9, color: "#1d2430", weight: 3, fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(escapeText(d.code + " · " + d.name)).addTo(map);
      bounds.push([d.lat, d.lon]);
    });
    (data.routes || []).forEach(function (r) {
      if (r.path && r.path.length > 1) {
        L.polyline(r.path, { color: r.colour, weight: 3, opacity: 0.8 }).bindTooltip(escapeText(r.van)).addTo(map);
      }
      r.stops.forEach(function (s) {
        L.circleMarker([s.lat, s.lon], {
          radius: 6, color: s.late ? "#b3261e" : r.colour, weight: s.late ? 3 : 1,
          fillColor: r.colour, fillOpacity: 0.85
        }).bindTooltip(escapeText(r.van + " #" + s.seq + " · " + s.eta + (s.late ? " · LATE" : "")) + "<br>" +
          escapeText(s.refs.join(", ")))
          .addTo(map);
        bounds.push([s.lat, s.lon]);
      });
    });
    addLegend(map, data);
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [20, 20] });
    else if (bounds.length === 1) map.setView(bounds[0], 13);
    else if (background.length) map.fitBounds(background, { padding: [10, 10] });
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
