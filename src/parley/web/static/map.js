// Parley's maps (Leaflet 1.9, served locally). No tile server: a plain background and the offline basemap
// (countries, rivers, lakes and reservoirs, roads when shipped, settlements named in three scripts; each layer's
// source listed in attribution.json), and the page's data from a JSON block (CSP: no inline scripts).
// Labels (settlements, routes) are laid out by this file: higher-priority labels first, each tried at a few
// positions around its point, and dropped when every position meets a label already drawn.
// Modes: view, route (draw a line), polygon (draw a closed zone), point (pick a position).
"use strict";

(function () {
  const ZONE_COLOURS = { active_hostilities: "#b3261e", mined: "#a3540b", no_go: "#5b2a86" };
  // Each operation's route in a colour of its own (then golden-angle hues for more than ten).
  const PALETTE = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#be185d", "#0e7490", "#a16207", "#4d7c0f",
                   "#9f1239", "#334155"];
  const LABEL_FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"; // as .map-label in parley.css
  const LABEL_H = 16;
  const SNAP_PX = 12;

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
  function routeColour(i) { return i < PALETTE.length ? PALETTE[i] : "hsl(" + Math.round((i * 137.508) % 360) + ",65%,36%)"; }
  function cssId(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, "_"); }

  // A label's width: its text in the label's font (bold for capitals, cities and routes, as the stylesheet draws
  // them), its padding (3 px each side) and a route label's border (1.5 px each side).
  let measureCtx = null;
  function textWidth(text, bold, border) {
    if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
    const font = (bold ? "600 " : "") + LABEL_FONT;
    if (measureCtx.font !== font) measureCtx.font = font;
    return Math.ceil(measureCtx.measureText(text).width) + 6 + (border ? 3 : 0);
  }

  // -- labels: one pane, laid out again after every move or zoom -------------------------------------------
  function labeller(map) {
    map.createPane("labels");
    const pane = map.getPane("labels");
    pane.style.zIndex = 640;
    pane.style.pointerEvents = "none";
    const items = [];
    let placed = [];
    let pending = 0;
    let held = true; // nothing laid out before the basemap's settlements are in (one layout, not two)
    function add(item) { // {latlng|latlngs, text, priority, minZoom, cls, colour, dot, title, place}
      items.push(item); // measured when first shown (most settlements wait for a closer zoom)
      schedule();
    }
    function schedule() {
      if (!pending && !held) pending = window.requestAnimationFrame(layout);
    }
    function hits(r, boxes) {
      for (const b of boxes) if (r.x < b.x + b.w && b.x < r.x + r.w && r.y < b.y + b.h && b.y < r.y + r.h) return true;
      return false;
    }
    function candidates(p, w) {
      return [[p.x + 6, p.y - LABEL_H / 2], [p.x - 6 - w, p.y - LABEL_H / 2], [p.x - w / 2, p.y - LABEL_H - 5],
              [p.x - w / 2, p.y + 5], [p.x + 5, p.y - LABEL_H - 2], [p.x - w - 5, p.y + 2]];
    }
    function anchors(item) {
      if (item.latlng) return [map.latLngToLayerPoint(item.latlng)];
      // A line: points along it, from its middle outwards.
      const pts = item.latlngs.map((x) => map.latLngToLayerPoint(x));
      const out = [];
      [0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9].forEach((f) => {
        const i = Math.min(pts.length - 1, Math.round(f * (pts.length - 1)));
        if (pts.length === 2) out.push(pts[0].add(pts[1].subtract(pts[0]).multiplyBy(f)));
        else out.push(pts[i]);
      });
      return out;
    }
    function layout() {
      held = false;
      if (pending) { window.cancelAnimationFrame(pending); pending = 0; }
      const z = map.getZoom();
      const size = map.getSize();
      const origin = map.containerPointToLayerPoint([0, 0]);
      const view = { x: origin.x, y: origin.y, w: size.x, h: size.y };
      const boxes = [];
      placed = [];
      pane.textContent = "";
      const order = items.slice().sort((a, b) => a.priority - b.priority);
      for (const item of order) {
        if (z < (item.minZoom || 0)) continue;
        if (item.w == null) item.w = textWidth(item.text, item.bold, item.border);
        let done = false;
        for (const p of anchors(item)) {
          const dot = item.dot ? { x: p.x - 3, y: p.y - 3, w: 6, h: 6 } : null;
          if (dot && hits(dot, boxes)) continue;
          for (const [x, y] of candidates(p, item.w)) {
            const r = { x, y, w: item.w, h: LABEL_H };
            if (r.x < view.x || r.y < view.y || r.x + r.w > view.x + view.w || r.y + r.h > view.y + view.h) continue;
            if (hits(r, boxes)) continue;
            boxes.push(r);
            if (dot) boxes.push(dot);
            draw(item, r, dot ? p : null);
            placed.push({ item, point: p });
            done = true;
            break;
          }
          if (done) break;
        }
      }
      map.getContainer().dataset.labels = String(placed.length);
    }
    function draw(item, r, dotAt) {
      if (dotAt) {
        const d = document.createElement("div");
        d.className = "map-dot " + (item.dotCls || "");
        d.style.left = dotAt.x - 3 + "px";
        d.style.top = dotAt.y - 3 + "px";
        pane.appendChild(d);
      }
      const el = document.createElement("div");
      el.className = "map-label " + (item.cls || "");
      el.textContent = item.text;
      if (item.title) el.title = item.title;
      if (item.colour) { el.style.borderColor = item.colour; el.style.color = item.colour; }
      if (item.key) el.dataset.key = item.key;
      el.style.left = r.x + "px";
      el.style.top = r.y + "px";
      el.style.width = r.w + "px";
      pane.appendChild(el);
    }
    // The settlement drawn nearest a container point, within SNAP_PX: the point a click snaps to.
    function nearest(containerPoint) {
      let best = null;
      let dist = SNAP_PX;
      const lp = map.containerPointToLayerPoint(containerPoint);
      for (const { item, point } of placed) {
        if (!item.place) continue;
        const d = point.distanceTo(lp);
        if (d <= dist) { dist = d; best = item; }
      }
      return best;
    }
    map.on("zoomend moveend resize viewreset", schedule);
    return { add, layout, schedule, nearest };
  }

  // -- the offline basemap ----------------------------------------------------------------------------------
  function minZoomOf(rank) {
    if (rank == null || rank <= 1) return 0;
    if (rank <= 4) return 5;
    if (rank <= 6) return 6.5;
    if (rank <= 7) return 7;
    return 8;
  }

  // The basemap's shapes (countries, water, roads) on a canvas of their own, without a Leaflet layer per feature:
  // each vertex is projected once, when the file arrives, to Web Mercator at zoom 0 (Leaflet's EPSG:3857:
  // a layer point is that times 256·2^zoom less the pixel origin), kept in typed arrays; a redraw (after a move or a
  // zoom; Leaflet's renderer moves and scales the canvas during the animation) only scales, skips the features out
  // of view and the vertices less than a pixel from the last one drawn. Thousands of vertices draw in a few ms.
  const MERC_MAX = 85.0511287798;
  const RAD = Math.PI / 180;
  function shapesOf(geometry) { // {rings: [Float64Array [u0, v0, u1, v1, …]], closed, box: [minU, minV, maxU, maxV]}
    const t = geometry && geometry.type;
    const c = geometry && geometry.coordinates;
    let lines;
    if (t === "LineString") lines = [c];
    else if (t === "MultiLineString" || t === "Polygon") lines = c;
    else if (t === "MultiPolygon") lines = [].concat(...c);
    else return null;
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const rings = [];
    for (const l of lines) {
      if (!l || l.length < 2) continue;
      const a = new Float64Array(l.length * 2);
      for (let i = 0; i < l.length; i++) {
        const lat = Math.max(-MERC_MAX, Math.min(MERC_MAX, l[i][1])) * RAD;
        const u = (l[i][0] + 180) / 360;
        const v = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI);
        a[2 * i] = u;
        a[2 * i + 1] = v;
        if (u < box[0]) box[0] = u;
        if (v < box[1]) box[1] = v;
        if (u > box[2]) box[2] = u;
        if (v > box[3]) box[3] = v;
      }
      rings.push(a);
    }
    return rings.length ? { rings, closed: t === "Polygon" || t === "MultiPolygon", box } : null;
  }
  function shapeCanvas(L) {
    return L.Canvas.extend({
      initialize(options) {
        L.Canvas.prototype.initialize.call(this, options);
        this._groups = [];
      },
      // Features of a GeoJSON collection with a style each ({color, weight, opacity, fillColor, fillOpacity});
      // drawn at once when the map has its view, above the groups added before.
      addGroup(collection, style) {
        const items = [];
        (collection.features || []).forEach((f) => {
          const s = shapesOf(f.geometry);
          if (s) { s.style = style(f); items.push(s); }
        });
        this._groups.push(items);
        if (this._map && this._ctx && this._bounds) this._paint([items]);
        return items.length;
      },
      _updatePaths() { if (!this._postponeUpdatePaths) this._redraw(); },
      _onZoomEnd() {},
      _draw() { this._paint(this._groups); },
      _paint(groups) {
        const map = this._map;
        const ctx = this._ctx;
        const scale = 256 * Math.pow(2, map.getZoom());
        const o = map.getPixelOrigin();
        const b = this._bounds;
        const pad = 4 / scale;
        const view = [(b.min.x + o.x) / scale - pad, (b.min.y + o.y) / scale - pad,
                      (b.max.x + o.x) / scale + pad, (b.max.y + o.y) / scale + pad];
        ctx.save();
        ctx.lineCap = "round";
        ctx.lineJoin = "round";
        let open = null; // lines of one style are stroked together
        const flush = () => {
          if (!open) return;
          ctx.globalAlpha = open.opacity == null ? 1 : open.opacity;
          ctx.lineWidth = open.weight;
          ctx.strokeStyle = open.color;
          ctx.stroke();
          open = null;
        };
        groups.forEach((items) => items.forEach((it) => {
          const bx = it.box;
          if (bx[2] < view[0] || bx[0] > view[2] || bx[3] < view[1] || bx[1] > view[3]) return;
          const s = it.style;
          if (it.closed || open !== s) { flush(); ctx.beginPath(); }
          it.rings.forEach((r) => {
            const n = r.length;
            let px = r[0] * scale - o.x;
            let py = r[1] * scale - o.y;
            ctx.moveTo(px, py);
            for (let i = 2; i < n; i += 2) {
              const x = r[i] * scale - o.x;
              const y = r[i + 1] * scale - o.y;
              if (i < n - 2 && Math.abs(x - px) < 0.7 && Math.abs(y - py) < 0.7) continue;
              ctx.lineTo(x, y);
              px = x; py = y;
            }
            if (it.closed) ctx.closePath();
          });
          if (!it.closed) { open = s; return; }
          if (s.fillColor) {
            ctx.globalAlpha = s.fillOpacity == null ? 0.2 : s.fillOpacity;
            ctx.fillStyle = s.fillColor;
            ctx.fill("evenodd");
          }
          if (s.weight) {
            ctx.globalAlpha = s.opacity == null ? 1 : s.opacity;
            ctx.lineWidth = s.weight;
            ctx.strokeStyle = s.color;
            ctx.stroke();
          }
        }));
        flush();
        ctx.restore();
      },
    });
  }

  function basemap(map, lang, labels, data) {
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 250;
    map.getPane("basemap").style.pointerEvents = "none";
    const L = window.L;
    // What the basemap drew is counted on the map's element (parleyLayers) for tests and readers of the page.
    const layers = {};
    map.getContainer().parleyLayers = layers;
    // One canvas, below the routes, zones and markers (SVG) and the labels: countries, then water, then roads.
    const shapes = new (shapeCanvas(L))({ pane: "basemap", padding: 0.15 });
    map.addLayer(shapes);
    function add(g, style) {
      if (!g) return;
      try {
        shapes.addGroup(g, style);
        (g.features || []).forEach((f) => {
          const k = ((f.properties || {}).kind) || "country";
          layers[k] = (layers[k] || 0) + 1;
        });
      } catch (e) { /* that layer left out; the others drawn */ }
    }
    const COUNTRY = { color: "#8d99a8", weight: 1, fillColor: "#fbfaf4", fillOpacity: 1 };
    const RIVER = { color: "#5b8fc7", weight: 1.2, opacity: 0.9 };
    const LAKE = { color: "#5b8fc7", weight: 0.6, fillColor: "#a9c6e3", fillOpacity: 1 };
    // Roads above the water and under the settlements' labels: a thin casing-less line, major highways wider.
    const MAJOR = { color: "#c9853a", weight: 2, opacity: 0.9 };
    const ROAD = { color: "#d9a066", weight: 1.2, opacity: 0.9 };
    function drawShapes(countries, water, roads) {
      add(countries, () => COUNTRY);
      add(water, (f) => ((f.properties || {}).kind === "river" ? RIVER : LAKE));
      add(roads, (f) => ((f.properties || {}).kind === "major" ? MAJOR : ROAD));
    }
    function places(g) {
      if (!g || !Array.isArray(g.features)) return;
      g.features.forEach((f) => {
        if (!f.geometry || f.geometry.type !== "Point") return;
        const p = f.properties || {};
        const name = p["name_" + lang] || p.name_en || p.name || "";
        if (!name) return;
        const all = [p.name_uk, p.name_ru, p.name_en].filter((n, i, a) => n && a.indexOf(n) === i && n !== name);
        labels.add({ latlng: L.latLng(ll(f.geometry.coordinates)), text: name, priority: 100 + (p.rank == null ? 0 : p.rank),
                     minZoom: minZoomOf(p.rank), cls: "place-label" + (p.kind ? " place-" + p.kind : ""), dot: true,
                     bold: p.kind === "capital" || p.kind === "city",
                     dotCls: p.kind === "capital" ? "capital" : "", title: all.join(" · "), place: { name, position: f.geometry.coordinates } });
      });
    }
    function attribution(a) {
      if (!a) return;
      const per = a[lang] || a.en || {};
      const source = pick(a.source, lang) || pick(per.source, lang);
      const disclaimer = pick(a.disclaimer, lang) || pick(per.disclaimer, lang);
      const layers = a.layers ? Object.values(a.layers).map((x) => pick(x, lang)) : [source];
      const summary = pick(a.short, lang) || source;
      const body = layers.filter(Boolean).map((t) => "<li>" + esc(t) + "</li>").join("");
      const html = '<details class="basemap-attribution"><summary>' + esc(summary) + "</summary><ul>" + body + "</ul><p>" +
        esc([source, disclaimer].filter(Boolean).join(" — ")) + "</p></details>";
      map.attributionControl.addAttribution(html);
      // No blank strip at the basemap's edge: the view stays inside the region the basemap covers.
      if (Array.isArray(a.region) && a.region.length === 4) {
        const r = a.region;
        const b = L.latLngBounds([[r[1], r[0]], [r[3], r[2]]]);
        map.setMaxBounds(b);
        map.options.maxBoundsViscosity = 1.0;
        map.setMinZoom(map.getBoundsZoom(b, true));
        map.panInsideBounds(b, { animate: false });
      }
    }
    // The layers always shipped are asked for at once, beside attribution.json; an optional one (roads) only when
    // attribution.json lists it. A layer it does not list is not drawn.
    const files = {};
    ["countries", "water", "places"].forEach((n) => { files[n] = getJSON("/static/basemap/" + n + ".geojson"); });
    return getJSON("/static/basemap/attribution.json").then((a) => {
      const names = a && a.layers ? Object.keys(a.layers) : ["countries", "places"];
      const use = (n) => (!names.includes(n) ? Promise.resolve(null)
        : files[n] || getJSON("/static/basemap/" + n + ".geojson"));
      attribution(a);
      return Promise.all([
        // Drawn in their order whichever file comes first.
        Promise.all([use("countries"), use("water"), use("roads")]).then(([c, w, r]) => drawShapes(c, w, r)),
        use("places").then(places),
      ]);
    });
  }

  function popup(title, lines, url) {
    let html = url ? '<a href="' + esc(url) + '">' + esc(title) + "</a>" : "<strong>" + esc(title) + "</strong>";
    lines.filter(Boolean).forEach((l) => { html += "<br>" + esc(l); });
    return html;
  }

  function draw(map, data, bounds, labels, features) {
    const L = window.L;
    const lab = (c) => (data.labels || {})[c] || c;
    const interactive = data.mode === "view";
    function remember(key, b) {
      if (!b || !b.isValid || !b.isValid()) return;
      features[key] = features[key] ? features[key].extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    }
    (data.zones || []).forEach((z) => {
      const colour = ZONE_COLOURS[z.kind] || "#555";
      const layer = L.geoJSON(z.geometry, { interactive,
        style: { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.18, dashArray: "6 4",
                 className: "zone zone-" + z.kind } });
      if (interactive) layer.bindPopup(popup(z.name, [lab(z.kind)]));
      layer.addTo(map);
      if (z.id) remember("zone:" + z.id, layer.getBounds());
      if (data.mode === "view") bounds.extend(layer.getBounds());
    });
    const ops = (data.operations || []).slice();
    ops.forEach((o, i) => {
      const colour = routeColour(i);
      const cls = o.id ? " op-" + cssId(o.id) : "";
      const text = popup(o.title, [lab(o.status)], o.url);
      const key = "op:" + o.id;
      if (o.footprint) {
        const fp = L.geoJSON(o.footprint, { interactive,
          style: { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.1, className: "footprint" + cls } });
        if (interactive) fp.bindPopup(text);
        fp.addTo(map);
        bounds.extend(fp.getBounds());
        remember(key, fp.getBounds());
      }
      let line = null;
      [o.route, o.area].forEach((g) => {
        if (!g) return;
        const r = L.geoJSON(g, { interactive,
          style: { color: colour, weight: 4, fillOpacity: 0.05, className: "route" + cls } });
        if (interactive) r.bindPopup(text);
        r.addTo(map);
        remember(key, r.getBounds());
        if (!line && g.type === "LineString") line = g.coordinates.map((c) => L.latLng(c[1], c[0]));
        if (!line && g.type === "Polygon") line = g.coordinates[0].map((c) => L.latLng(c[1], c[0]));
      });
      const colours = { origin: "#1d7a46", destination: "#1f5fa8" };
      const ends = [];
      [["origin", o.origin], ...(o.destinations || [o.destination]).map((d) => ["destination", d])].forEach(([k, place]) => {
        if (!place || !place.position) return;
        const m = L.circleMarker(ll(place.position), { radius: 6, color: "#fff", weight: 2, fillColor: colours[k],
          fillOpacity: 1, interactive, className: "place-" + k });
        if (interactive) m.bindPopup(popup(place.name, [o.title]));
        m.addTo(map);
        bounds.extend(m.getLatLng());
        remember(key, L.latLngBounds([m.getLatLng()]));
        ends.push(m.getLatLng());
      });
      if (!line && ends.length >= 2) line = ends;
      if (line && line.length && o.title) {
        const title = o.title.length > 34 ? o.title.slice(0, 33) + "…" : o.title;
        labels.add({ latlngs: line.length === 1 ? [line[0], line[0]] : line, text: title, title: o.title, priority: 0,
                     cls: "route-label", colour, key, bold: true, border: true });
      }
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
      if (i.id) remember("incident:" + i.id, L.latLngBounds([m.getLatLng()]));
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

  // A line or a polygon drawn by clicking; written into a hidden input as GeoJSON. A click near a settlement
  // drawn on the map snaps to it, and a place found by the search can be added; a named first (or last) point
  // names the origin (or destination) unless that field was edited.
  function drawShape(map, el, closed, labels) {
    const L = window.L;
    const input = document.getElementById(el.dataset.input);
    const byId = (k) => (el.dataset[k] ? document.getElementById(el.dataset[k]) : null);
    const origin = byId("origin");
    const destination = byId("destination");
    const originName = document.getElementById("origin_name");
    const destinationName = document.getElementById("destination_name");
    const count = byId("count");
    [origin, destination, originName, destinationName].forEach((f) => f && f.addEventListener("input", () => { f.dataset.edited = "1"; }));
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
        fillOpacity: 1, weight: 2, interactive: false, className: "vertex" + (p.placeName ? " snapped" : "") }).addTo(vertices));
      const c = coords();
      if (closed) input.value = c.length >= 3 ? JSON.stringify({ type: "Polygon", coordinates: [c.concat([c[0]])] }) : "";
      else input.value = c.length >= 2 ? JSON.stringify({ type: "LineString", coordinates: c }) : "";
      if (fill && !closed) {
        if (origin && !origin.dataset.edited) origin.value = c.length ? c[0].join(", ") : "";
        if (destination && !destination.dataset.edited) destination.value = c.length > 1 ? c[c.length - 1].join(", ") : "";
        const first = pts[0];
        const last = pts.length > 1 ? pts[pts.length - 1] : null;
        if (originName && !originName.dataset.edited && first && first.placeName) originName.value = first.placeName;
        if (destinationName && !destinationName.dataset.edited && last && last.placeName) destinationName.value = last.placeName;
      }
      if (count) count.textContent = String(pts.length);
      input.dispatchEvent(new Event("change"));
    }
    function addPoint(latlng, name) {
      const p = L.latLng(latlng.lat, latlng.lng);
      if (name) p.placeName = name;
      pts.push(p);
      render(true);
    }
    map.on("click", (e) => {
      const near = labels.nearest(e.containerPoint);
      if (near) addPoint(L.latLng(near.place.position[1], near.place.position[0]), near.place.name);
      else addPoint(e.latlng, null);
    });
    const undo = byId("undo");
    const clear = byId("clear");
    if (undo) undo.addEventListener("click", () => { pts.pop(); render(true); });
    if (clear) clear.addEventListener("click", () => { pts = []; render(true); });
    render(false);
    return { bounds: pts.length ? L.latLngBounds(pts) : null, addPoint };
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
    function addPoint(latlng) {
      place(latlng);
      input.value = round(latlng.lng) + ", " + round(latlng.lat);
      input.dispatchEvent(new Event("change"));
    }
    map.on("click", (e) => addPoint(e.latlng));
    input.addEventListener("change", fromInput);
    return { bounds: fromInput() ? L.latLngBounds([marker.getLatLng()]) : null, addPoint };
  }

  // The search box: places found by name in any script (the server keys names as the registry does).
  function searchControl(map, el, labels, mode, addPoint) {
    const L = window.L;
    const t = (k, d) => labels[k] || d;
    const Search = L.Control.extend({
      onAdd() {
        const box = L.DomUtil.create("div", "leaflet-bar map-search");
        const id = el.id + "-search";
        box.innerHTML = '<label class="sr-only" for="' + esc(id) + '">' + esc(t("find_place", "Find a place")) + "</label>" +
          '<input type="search" id="' + esc(id) + '" autocomplete="off" placeholder="' +
          esc(t("find_place", "Find a place")) + '" title="' + esc(t("find_place_hint", "Name of a place, in any script")) + '">' +
          '<ul class="map-search-results" role="list" aria-live="polite"></ul>';
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    const control = new Search({ position: "topright" }).addTo(map);
    const box = control.getContainer();
    const input = box.querySelector("input");
    const list = box.querySelector("ul");
    let marker = null;
    let timer = null;
    let seq = 0;
    function show(place) {
      const latlng = L.latLng(place.position[1], place.position[0]);
      if (!marker) marker = L.circleMarker(latlng, { radius: 9, color: "#111", weight: 2, fillOpacity: 0, interactive: false,
        className: "found" }).addTo(map);
      else marker.setLatLng(latlng);
      map.setView(latlng, Math.max(map.getZoom(), 9));
      return latlng;
    }
    function results(places) {
      list.textContent = "";
      if (!places.length) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = t("no_place", "No place found");
        list.appendChild(li);
        return;
      }
      places.forEach((p) => {
        const li = document.createElement("li");
        const go = document.createElement("button");
        go.type = "button";
        go.className = "link found-place";
        go.textContent = p.name;
        const other = Object.values(p.names || {}).filter((n, i, a) => n && n !== p.name && a.indexOf(n) === i);
        if (other.length) go.title = other.join(" · ");
        go.addEventListener("click", () => show(p));
        li.appendChild(go);
        if (addPoint) {
          const add = document.createElement("button");
          add.type = "button";
          add.className = "add-found";
          add.textContent = mode === "route" ? t("add_to_route", "Add to the route") : t("use_place", "Use this place");
          add.addEventListener("click", () => { const latlng = show(p); addPoint(latlng, p.name); });
          li.appendChild(add);
        }
        list.appendChild(li);
      });
    }
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      const q = input.value.trim();
      if (!q) { list.textContent = ""; return; }
      timer = window.setTimeout(() => {
        const mine = ++seq;
        getJSON("/map/places?q=" + encodeURIComponent(q)).then((r) => { if (mine === seq) results((r && r.places) || []); });
      }, 150);
    });
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  }

  function init(el) {
    const L = window.L;
    if (!L) return;
    const source = document.getElementById(el.dataset.source);
    const data = source ? JSON.parse(source.textContent) : { mode: "view" };
    const lang = data.lang || document.documentElement.lang || "en";
    // The routes, zones and markers on one SVG renderer, added before them: they are all added to the map when it
    // has its view (below), the renderer first.
    const svg = L.svg();
    const map = L.map(el, { zoomSnap: 0.25, worldCopyJump: false, zoomControl: false, renderer: svg });
    map.addLayer(svg);
    const texts = data.labels || {};
    L.control.zoom({ zoomInTitle: texts.zoom_in || "Zoom in", zoomOutTitle: texts.zoom_out || "Zoom out" }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");
    el.parleyMap = map;
    window.parleyMaps = (window.parleyMaps || []).concat([map]);
    const labels = labeller(map);
    const loaded = basemap(map, lang, labels, data); // the basemap's files asked for first
    const bounds = L.latLngBounds([]);
    const features = {};
    draw(map, data, bounds, labels, features);
    el.parleyFeatures = features;
    let drawn = null;
    if (data.mode === "route") drawn = drawShape(map, el, false, labels);
    else if (data.mode === "polygon") drawn = drawShape(map, el, true, labels);
    else if (data.mode === "point") drawn = pickPoint(map, el);
    if (drawn && drawn.bounds) bounds.extend(drawn.bounds);
    features.all = bounds.isValid() ? L.latLngBounds(bounds.getSouthWest(), bounds.getNorthEast()) : null;
    searchControl(map, el, texts, data.mode, drawn ? drawn.addPoint : null);
    // The view, once: Leaflet adds the layers above (and the basemap's canvases) when the map has one, so they are
    // projected and drawn at this view only, not first at the whole region and again here.
    const r = data.region || [22, 44, 41, 53];
    if (data.mode === "view" && bounds.isValid()) map.fitBounds(bounds.pad(0.25), { maxZoom: 11 });
    else if (drawn && drawn.bounds) map.fitBounds(drawn.bounds.pad(0.5), { maxZoom: 11 });
    else map.fitBounds([[r[1], r[0]], [r[3], r[2]]]);
    loaded.catch(() => null).then(() => { // a basemap that failed leaves the plain background, the rest drawn
      labels.layout();
      el.dataset.ready = "1";
    });
  }

  // Links and buttons that fit a map to a feature: data-map-zoom="op:ID" (or zone:, incident:, all), data-map="ID".
  document.addEventListener("click", (e) => {
    const b = e.target.closest && e.target.closest("[data-map-zoom]");
    if (!b) return;
    const el = document.getElementById(b.dataset.map || "") || document.querySelector(".map.leaflet-container");
    const bounds = el && el.parleyFeatures && el.parleyFeatures[b.dataset.mapZoom];
    if (!bounds) return;
    e.preventDefault();
    const map = el.parleyMap;
    const tiny = bounds.getNorthEast().distanceTo(bounds.getSouthWest()) < 2000;
    if (tiny) map.setView(bounds.getCenter(), 11);
    else map.fitBounds(bounds.pad(0.3), { maxZoom: 11 });
    el.dataset.zoomedTo = b.dataset.mapZoom;
    el.scrollIntoView({ block: "nearest" });
  });

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".map[data-source]").forEach(init);
  });
})();
