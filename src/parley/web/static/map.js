// Parley's maps (Leaflet 1.9, served locally). No tile server: a plain background, the offline basemap's
// country polygons and place labels when present, and the page's data from a JSON block (CSP: no inline
// scripts). Modes: view, route (draw a line), polygon (draw a closed zone), point (pick a position).
"use strict";

(function () {
  const ZONE_COLOURS = { active_hostilities: "#b3261e", mined: "#a3540b", no_go: "#5b2a86" };
  const STATUS_COLOURS = { proposed: "#1f5fa8", acknowledged: "#1d7a46", under_way: "#0a7f8f",
                           suspended: "#a3540b", completed: "#5b6573", aborted: "#7a1f1f" };

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function ll(p) { return [p[1], p[0]]; } // GeoJSON [lon, lat] → Leaflet [lat, lon]
  function round(x) { return Math.round(x * 1e5) / 1e5; }
  function pick(v, lang) {
    if (v == null) return "";
    if (typeof v === "string") return v;
    return v[lang] || v.en || Object.values(v)[0] || "";
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  }

  function basemap(map, lang) {
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 250;
    map.getPane("basemap").style.pointerEvents = "none";
    getJSON("/static/basemap/countries.geojson").then((g) => {
      if (!g) return;
      try {
        window.L.geoJSON(g, { pane: "basemap", interactive: false,
          style: { color: "#8d99a8", weight: 1, fillColor: "#fbfaf4", fillOpacity: 1 } }).addTo(map);
      } catch (e) { /* a broken basemap leaves the plain background */ }
    });
    getJSON("/static/basemap/places.geojson").then((g) => {
      if (!g || !Array.isArray(g.features)) return;
      const many = g.features.length > 60;
      const group = window.L.layerGroup();
      g.features.forEach((f) => {
        if (!f.geometry || f.geometry.type !== "Point") return;
        const p = f.properties || {};
        const name = p["name_" + lang] || p.name_en || p.name || "";
        const m = window.L.circleMarker(ll(f.geometry.coordinates), { pane: "basemap", radius: 2, weight: 1,
          color: "#3b4655", fillOpacity: 1, interactive: false });
        if (name) m.bindTooltip(esc(name), { permanent: true, direction: "right", className: "place-label" });
        group.addLayer(m);
      });
      const toggle = () => {
        if (!many || map.getZoom() >= 7) group.addTo(map); else group.remove();
      };
      map.on("zoomend", toggle);
      toggle();
    });
    getJSON("/static/basemap/attribution.json").then((a) => {
      if (!a) return;
      const per = a[lang] || a.en || {};
      const source = pick(a.source, lang) || pick(per.source, lang);
      const disclaimer = pick(a.disclaimer, lang) || pick(per.disclaimer, lang);
      const text = [source, disclaimer].filter(Boolean).join(" — ");
      if (text) map.attributionControl.addAttribution('<span class="basemap-attribution">' + esc(text) + "</span>");
    });
  }

  function popup(title, lines, url) {
    let html = url ? '<a href="' + esc(url) + '">' + esc(title) + "</a>" : "<strong>" + esc(title) + "</strong>";
    lines.filter(Boolean).forEach((l) => { html += "<br>" + esc(l); });
    return html;
  }

  function draw(map, data, bounds) {
    const L = window.L;
    const labels = data.labels || {};
    const lab = (c) => labels[c] || c;
    const interactive = data.mode === "view";
    (data.zones || []).forEach((z) => {
      const colour = ZONE_COLOURS[z.kind] || "#555";
      const layer = L.geoJSON(z.geometry, { interactive,
        style: { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.18, dashArray: "6 4",
                 className: "zone zone-" + z.kind } });
      if (interactive) layer.bindPopup(popup(z.name, [lab(z.kind)]));
      layer.addTo(map);
      if (data.mode === "view") bounds.extend(layer.getBounds());
    });
    (data.operations || []).forEach((o) => {
      const colour = STATUS_COLOURS[o.status] || "#1f5fa8";
      const text = popup(o.title, [lab(o.status)], o.url);
      if (o.footprint) {
        const fp = L.geoJSON(o.footprint, { interactive,
          style: { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.12, className: "footprint" } });
        if (interactive) fp.bindPopup(text);
        fp.addTo(map);
        bounds.extend(fp.getBounds());
      }
      [o.route, o.area].forEach((g) => {
        if (!g) return;
        const r = L.geoJSON(g, { interactive,
          style: { color: colour, weight: 4, fillOpacity: 0.05, className: "route" } });
        if (interactive) r.bindPopup(text);
        r.addTo(map);
      });
      const colours = { origin: "#1d7a46", destination: "#1f5fa8" };
      [["origin", o.origin], ...(o.destinations || [o.destination]).map((d) => ["destination", d])].forEach(([key, place]) => {
        const c = colours[key];
        if (!place || !place.position) return;
        const m = L.circleMarker(ll(place.position), { radius: 6, color: "#fff", weight: 2, fillColor: c,
          fillOpacity: 1, interactive, className: "place-" + key });
        if (interactive) m.bindPopup(popup(place.name, [o.title]));
        m.addTo(map);
        bounds.extend(m.getLatLng());
      });
    });
    // Corridors one side declared on its own: dashed, in grey, never drawn like an agreed operation.
    (data.corridors || []).forEach((c) => {
      const line = c.route || { type: "LineString", coordinates: [c.origin.position, c.towards.position] };
      const r = L.geoJSON(line, { interactive,
        style: { color: "#6b6b6b", weight: 3, dashArray: "6 6", className: "declared-corridor" } });
      if (interactive) r.bindPopup(popup(c.name, [c.declared]));
      r.addTo(map);
      bounds.extend(r.getBounds());
    });
    (data.incidents || []).forEach((i) => {
      const m = L.circleMarker(ll(i.position), { radius: 6, color: "#7a1f1f", weight: 2, fillColor: "#e0483e",
        fillOpacity: 0.9, interactive, className: "incident" });
      if (interactive) m.bindPopup(popup(lab(i.type), [i.place, i.at, i.party], i.url));
      m.addTo(map);
      if (data.mode === "view") bounds.extend(m.getLatLng());
    });
    // Places named by a record (a meeting's venue): a marker, its lines and a link in the popup.
    (data.places || []).forEach((pl) => {
      if (!pl.position) return;
      const m = L.circleMarker(ll(pl.position), { radius: 7, color: "#fff", weight: 2, fillColor: "#5b2a86",
        fillOpacity: 1, interactive, className: "venue" });
      if (interactive) m.bindPopup(popup(pl.name, pl.lines || [], pl.url));
      m.addTo(map);
      if (data.mode === "view") bounds.extend(m.getLatLng());
    });
    (data.events || []).forEach((e) => {
      const m = L.circleMarker(ll(e.position), { radius: 5, color: "#222", weight: 1, fillColor: "#f2c94c",
        fillOpacity: 1, interactive, className: "movement" });
      if (interactive) m.bindPopup(popup(lab(e.event), [e.place, e.at]));
      m.addTo(map);
      bounds.extend(m.getLatLng());
    });
  }

  // A line or a polygon drawn by clicking; written into a hidden input as GeoJSON.
  function drawShape(map, el, closed) {
    const L = window.L;
    const input = document.getElementById(el.dataset.input);
    const origin = el.dataset.origin ? document.getElementById(el.dataset.origin) : null;
    const destination = el.dataset.destination ? document.getElementById(el.dataset.destination) : null;
    const count = el.dataset.count ? document.getElementById(el.dataset.count) : null;
    [origin, destination].forEach((f) => f && f.addEventListener("input", () => { f.dataset.edited = "1"; }));
    let pts = [];
    try {
      const g = JSON.parse(input.value || "null");
      if (g && g.type === "LineString") pts = g.coordinates.map((c) => L.latLng(c[1], c[0]));
      if (g && g.type === "Polygon") pts = g.coordinates[0].slice(0, -1).map((c) => L.latLng(c[1], c[0]));
    } catch (e) { pts = []; }
    const style = { color: "#1f5fa8", weight: 4, fillOpacity: 0.2, className: "route drawn" };
    const shape = (closed ? L.polygon([], style) : L.polyline([], style)).addTo(map);
    const vertices = L.layerGroup().addTo(map);
    const coords = () => pts.map((p) => [round(p.lng), round(p.lat)]);
    function render(fill) {
      shape.setLatLngs(pts);
      vertices.clearLayers();
      pts.forEach((p, i) => L.circleMarker(p, { radius: 4, color: "#1f5fa8", fillColor: i === 0 ? "#1d7a46" : "#fff",
        fillOpacity: 1, weight: 2, interactive: false }).addTo(vertices));
      const c = coords();
      if (closed) input.value = c.length >= 3 ? JSON.stringify({ type: "Polygon", coordinates: [c.concat([c[0]])] }) : "";
      else input.value = c.length >= 2 ? JSON.stringify({ type: "LineString", coordinates: c }) : "";
      if (fill && !closed) {
        if (origin && !origin.dataset.edited) origin.value = c.length ? c[0].join(", ") : "";
        if (destination && !destination.dataset.edited) destination.value = c.length > 1 ? c[c.length - 1].join(", ") : "";
      }
      if (count) count.textContent = String(pts.length);
      input.dispatchEvent(new Event("change"));
    }
    map.on("click", (e) => { pts.push(e.latlng); render(true); });
    const undo = el.dataset.undo && document.getElementById(el.dataset.undo);
    const clear = el.dataset.clear && document.getElementById(el.dataset.clear);
    if (undo) undo.addEventListener("click", () => { pts.pop(); render(true); });
    if (clear) clear.addEventListener("click", () => { pts = []; render(true); });
    render(false);
    return pts.length ? L.latLngBounds(pts) : null;
  }

  // One position picked by clicking; written as "lon, lat" into a text input (which may also be typed in).
  function pickPoint(map, el) {
    const L = window.L;
    const input = document.getElementById(el.dataset.input);
    let marker = null;
    function place(latlng) {
      if (!marker) marker = L.circleMarker(latlng, { radius: 7, color: "#1f5fa8", weight: 3, fillColor: "#fff",
        fillOpacity: 1, interactive: false, className: "picked" }).addTo(map);
      else marker.setLatLng(latlng);
    }
    function fromInput() {
      const parts = (input.value || "").split(/[,\s;]+/).filter(Boolean).map(Number);
      if (parts.length === 2 && parts.every(Number.isFinite)) { place(L.latLng(parts[1], parts[0])); return true; }
      return false;
    }
    map.on("click", (e) => {
      place(e.latlng);
      input.value = round(e.latlng.lng) + ", " + round(e.latlng.lat);
    });
    input.addEventListener("change", fromInput);
    return fromInput() ? L.latLngBounds([marker.getLatLng()]) : null;
  }

  function init(el) {
    const L = window.L;
    if (!L) return;
    const source = document.getElementById(el.dataset.source);
    const data = source ? JSON.parse(source.textContent) : { mode: "view" };
    const lang = data.lang || document.documentElement.lang || "en";
    const map = L.map(el, { zoomSnap: 0.25, worldCopyJump: false, zoomControl: false });
    const labels = data.labels || {};
    L.control.zoom({ zoomInTitle: labels.zoom_in || "Zoom in", zoomOutTitle: labels.zoom_out || "Zoom out" }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");
    el.parleyMap = map;
    window.parleyMaps = (window.parleyMaps || []).concat([map]);
    const r = data.region || [22, 44, 41, 53];
    map.fitBounds([[r[1], r[0]], [r[3], r[2]]]); // a view first: Leaflet draws vectors only on a map with one
    basemap(map, lang);
    const bounds = L.latLngBounds([]);
    draw(map, data, bounds);
    let drawn = null;
    if (data.mode === "route") drawn = drawShape(map, el, false);
    else if (data.mode === "polygon") drawn = drawShape(map, el, true);
    else if (data.mode === "point") drawn = pickPoint(map, el);
    if (drawn) bounds.extend(drawn);
    if (data.mode === "view" && bounds.isValid()) map.fitBounds(bounds.pad(0.25), { maxZoom: 11 });
    else if (drawn) map.fitBounds(drawn.pad(0.5), { maxZoom: 11 });
    el.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".map[data-source]").forEach(init);
  });
})();
