// lupex dashboard: Leaflet + Proj4Leaflet in the lunar south polar stereographic grid IAU_2015:30135
// (sphere R = 1737400 m, x/y in metres), a tiled hillshade base map, run layers as tiles, vectors on top.
// Plain ES2017, no build step.
"use strict";

// ---------------------------------------------------------------- projection and map
const MOON_R = 1737400.0;
const PROJ_DEF = "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs";
const HALF_EXTENT = 458752.0;  // the tile matrix set covers x, y in [-HALF_EXTENT, HALF_EXTENT] m
const MAX_ZOOM = 10;
const RESOLUTIONS = Array.from({ length: MAX_ZOOM + 1 }, (_, z) => 3584.0 / 2 ** z);  // m per pixel, 3584 .. 3.5

const crs = new L.Proj.CRS("IAU_2015:30135", PROJ_DEF, {
  origin: [-HALF_EXTENT, HALF_EXTENT],
  resolutions: RESOLUTIONS,
  bounds: L.bounds([-HALF_EXTENT, -HALF_EXTENT], [HALF_EXTENT, HALF_EXTENT]),
});
// Great-circle distance on the lunar sphere (Leaflet's default assumes the Earth): used by the scale bar.
crs.R = MOON_R;
crs.distance = function (a, b) {
  const rad = Math.PI / 180;
  const s1 = Math.sin(((b.lat - a.lat) * rad) / 2);
  const s2 = Math.sin(((b.lng - a.lng) * rad) / 2);
  const h = s1 * s1 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * s2 * s2;
  return 2 * MOON_R * Math.asin(Math.min(1, Math.sqrt(h)));
};

const map = L.map("map", { crs, minZoom: 0, maxZoom: MAX_ZOOM, attributionControl: false,
  center: L.latLng(-90, 0), zoom: 1 });
map.createPane("graticule").style.zIndex = 350;  // above the tiles (200), below vectors (400)
map.getPane("graticule").style.pointerEvents = "none";

/** LatLng of a grid point in metres. */
function xy(x, y) { return crs.unproject(L.point(x, y)); }

const baseLayer = L.tileLayer("/api/base/tiles/{z}/{x}/{y}.png",
  { tileSize: 256, minZoom: 0, maxZoom: MAX_ZOOM, noWrap: true, className: "base-tiles" }).addTo(map);
L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);

// ---------------------------------------------------------------- small helpers
async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (err) { /* not JSON */ }
    const e = new Error(detail); e.status = r.status; throw e;
  }
  return r.json();
}

function el(id) { return document.getElementById(id); }

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function fmt(v, digits) {
  if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) { return "-"; }
  if (typeof v !== "number") { return String(v); }
  if (digits !== undefined) { return v.toFixed(digits); }
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

function fmtUtc(ms) { return new Date(ms).toISOString().slice(0, 16).replace("T", " "); }

/** Centre the map on a box in metres at the largest zoom that shows all of it. */
function fitProjected(xmin, ymin, xmax, ymax) {
  const size = map.getSize();
  let zoom = 0;
  for (let z = 0; z <= MAX_ZOOM; z++) {
    if ((xmax - xmin) / RESOLUTIONS[z] <= size.x * 0.9 && (ymax - ymin) / RESOLUTIONS[z] <= size.y * 0.9) { zoom = z; }
  }
  map.setView(xy((xmin + xmax) / 2, (ymin + ymax) / 2), zoom);
}

// ---------------------------------------------------------------- colour maps (legend colour bars)
// Nine evenly spaced stops per colour map, sampled from matplotlib; "<name>_r" is the reverse.
const CMAPS = {
  viridis: ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"],
  inferno: ["#000004", "#210c4a", "#57106e", "#8a226a", "#bc3754", "#e45a31", "#f98e09", "#f9cb35", "#fcffa4"],
  magma: ["#000004", "#1d1147", "#51127c", "#832681", "#b73779", "#e75263", "#fc8961", "#fec488", "#fcfdbf"],
  cividis: ["#00224e", "#1a386f", "#434e6c", "#61656f", "#7d7c78", "#9b9476", "#bcae6c", "#dec958", "#fee838"],
  plasma: ["#0d0887", "#4c02a1", "#7e03a8", "#aa2395", "#cc4778", "#e66c5c", "#f89540", "#fdc527", "#f0f921"],
  Blues: ["#f7fbff", "#deebf7", "#c6dbef", "#9dcae1", "#6aaed6", "#4191c6", "#2070b4", "#08509b", "#08306b"],
  gray: ["#000000", "#202020", "#404040", "#606060", "#808080", "#a0a0a0", "#c0c0c0", "#e0e0e0", "#ffffff"],
  autumn: ["#ff0000", "#ff2000", "#ff4000", "#ff6000", "#ff8000", "#ffa000", "#ffc000", "#ffe000", "#ffff00"],
  Reds: ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb694a", "#ee3a2c", "#ca181d", "#a30f15", "#67000d"],
  Greens: ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a0d99b", "#73c476", "#40aa5d", "#228a44", "#006c2c", "#00441b"],
  turbo: ["#30123b", "#466be3", "#28bceb", "#32f298", "#a4fc3c", "#eecf3a", "#fb7e21", "#d02f05", "#7a0403"],
};

function cmapGradient(name) {
  const reversed = name.endsWith("_r");
  let stops = CMAPS[reversed ? name.slice(0, -2) : name] || CMAPS.gray;
  if (reversed) { stops = stops.slice().reverse(); }
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

// ---------------------------------------------------------------- graticule (parallels -75..-89 every 1 deg, meridians every 30 deg)
function buildGraticule() {
  const lines = [];
  const labels = [];
  const style = { pane: "graticule", color: "#d8e4f0", weight: 0.8, opacity: 0.55, interactive: false };
  for (let lat = -75; lat >= -89; lat--) {
    const ring = [];
    for (let lon = -180; lon <= 180; lon += 2) { ring.push(L.latLng(lat, lon)); }
    lines.push(L.polyline(ring, style));
    labels.push(L.marker(L.latLng(lat, 0), { pane: "graticule", interactive: false, keyboard: false,
      icon: L.divIcon({ className: lat % 5 ? "grat-label minor" : "grat-label", html: `${-lat}&deg;S`, iconSize: null }) }));
  }
  for (let lon = -150; lon <= 180; lon += 30) {
    lines.push(L.polyline([L.latLng(-75, lon), L.latLng(-89.999, lon)], style));
    const name = lon === 0 || lon === 180 ? `${Math.abs(lon)}&deg;` : `${Math.abs(lon)}&deg;${lon > 0 ? "E" : "W"}`;
    labels.push(L.marker(L.latLng(-75.3, lon), { pane: "graticule", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "grat-label", html: name, iconSize: null }) }));
  }
  return L.layerGroup(lines.concat(labels));
}
const graticule = buildGraticule().addTo(map);
// 1-degree parallels are 8 px apart at zoom 0: label only every 5 degrees until zoomed in
function zoomClass() { map.getContainer().classList.toggle("zoomed-out", map.getZoom() < 3); }
map.on("zoomend", zoomClass);
zoomClass();

// ---------------------------------------------------------------- named features
const features = L.layerGroup().addTo(map);
async function loadFeatures() {
  let list = [];
  try { list = await getJSON("/api/features"); } catch (err) { return; }  // backend without features: none shown
  for (const f of list) {
    L.marker(L.latLng(f.lat_deg, f.lon_deg), {
      icon: L.divIcon({ className: "feature-label", html: `<span class="dot"></span>${escapeHtml(f.name)}`, iconSize: null }),
    }).bindTooltip(`<b>${escapeHtml(f.name)}</b> (${escapeHtml(f.kind || "feature")})<br>` +
      `${fmt(f.lat_deg, 3)}&deg;, ${fmt(f.lon_deg, 3)}&deg;<br>source: ${escapeHtml(f.source || "-")}`)
      .addTo(features);
  }
}

// ---------------------------------------------------------------- run state
let currentRun = null;       // name of the run shown
let manifest = null;         // its layers.json
let control = null;          // the layer control
let runLayers = [];          // everything added for the run (removed on the next load)
let rasters = [];            // [{meta, layer}] the run's raster tile layers
let route = null;
let campaign = null;
let roverMarker = null;      // traverse rover
let campaignMarker = null;   // campaign-day rover
let missionMarker = null;    // the rover at the mission time
let mission = null;          // {hours, startMs, routeEnd}

function clearRun() {
  if (control) { control.remove(); control = null; }
  for (const g of runLayers) { map.removeLayer(g); }
  runLayers = []; rasters = [];
  route = null; campaign = null; mission = null;
}

function addRunLayer(layer, show) {
  runLayers.push(layer);
  if (show) { layer.addTo(map); }
  return layer;
}

async function loadRun(name) {
  const m = await getJSON(`/api/runs/${name}/layers.json`);
  clearRun();
  currentRun = name; manifest = m;
  el("run-title").textContent = m.title;
  el("report-link").href = `/api/runs/${name}/report`;
  const stamp = Date.now();
  const overlays = {};
  for (const meta of m.layers) {
    const layer = L.tileLayer(`/api/runs/${name}/tiles/${meta.name}/{z}/{x}/{y}.png?v=${stamp}`, {
      tileSize: 256, minZoom: 0, maxZoom: MAX_ZOOM, noWrap: true, opacity: meta.opaque ? 1.0 : 0.8,
      className: `layer-${meta.name}`, zIndex: meta.opaque ? 1 : 2,
    });
    layer.lupexMeta = meta;
    addRunLayer(layer, meta.name === "illumination");
    rasters.push({ meta, layer });
    overlays[meta.title] = layer;
  }
  // landing candidates; the first (top-ranked) one is the landing site
  const cand = L.layerGroup(m.candidates.map((c, i) => (i === 0
    ? L.marker(xy(c.x_m, c.y_m), { icon: L.divIcon({ className: "landing-site", html: "<span class=\"star\">&#9733;</span>Landing site", iconSize: null }),
      zIndexOffset: 1000 })
    : L.circleMarker(xy(c.x_m, c.y_m), { radius: 6, color: "#000", weight: 1, fillColor: "#ffa500", fillOpacity: 1 }))
    .bindTooltip(`#${c.rank}: ${fmt(c.lat_deg, 4)}&deg;, ${fmt(c.lon_deg, 3)}&deg;<br>x ${fmt(c.x_m, 0)} m, y ${fmt(c.y_m, 0)} m`)));
  overlays["Landing candidates"] = addRunLayer(cand, true);
  route = m.route && m.route.available ? m.route : null;
  if (route) {
    const line = L.polyline(route.x_m.map((x, i) => xy(x, route.y_m[i])), { color: "#00e5ff", weight: 3 });
    roverMarker = L.marker(xy(route.x_m[0], route.y_m[0]),
      { icon: L.divIcon({ className: "rover-icon", iconSize: [12, 12] }), title: "rover" });
    overlays["Traverse"] = addRunLayer(L.layerGroup([line, roverMarker]), true);
  }
  campaign = m.campaign && m.campaign.days && m.campaign.days.length ? m.campaign : null;
  el("campaign").hidden = !campaign;
  if (campaign) {
    const track = L.polyline(campaign.days.map((d) => xy(d.x_m, d.y_m)), { color: "#ff4fd8", weight: 2, dashArray: "4 4" });
    campaignMarker = L.circleMarker(xy(campaign.days[0].x_m, campaign.days[0].y_m),
      { radius: 7, color: "#000", weight: 1, fillColor: "#ff4fd8", fillOpacity: 1 }).bindTooltip("rover (campaign)");
    overlays["Campaign (day by day)"] = addRunLayer(L.layerGroup([track, campaignMarker]), true);
    const cs = el("campaign-slider");
    cs.max = campaign.days.length; cs.value = 1;
    showDay(1);
  }
  if (m.touchdowns && m.touchdowns.x_m.length) {  // flight stage: the landing Monte Carlo's touchdowns
    const t = m.touchdowns;
    overlays[`Touchdowns (P(safe) ${(t.p_safe * 100).toFixed(1)} %)`] = addRunLayer(L.layerGroup(t.x_m.map((x, i) =>
      L.circleMarker(xy(x, t.y_m[i]), { radius: 2, weight: 0, fillOpacity: 0.8, fillColor: t.safe[i] ? "#7fff7f" : "#ff4040" }))), false);
  }
  if (m.drill_holes && m.drill_holes.length) {  // science stage: the drill holes and their mean water
    overlays["Drill holes (science)"] = addRunLayer(L.layerGroup(m.drill_holes.map((d) =>
      L.circleMarker(xy(d.x_m, d.y_m), { radius: 6, color: "#000", weight: 1, fillColor: "#1e90ff", fillOpacity: 1 })
        .bindTooltip(`drill hole: ${fmt(d.mean_weh_wt_pct)} wt% water on average`))), true);
  }
  shadowOverlay = null;
  if (m.layers.some((l) => l.name === "illumination") && (route || campaign)) {
    const start = Date.parse((route || campaign).start_utc);
    showShadow(start);
    overlays["Shadow at the mission time"] = addRunLayer(shadowOverlay, false);
  }
  overlays["Graticule"] = graticule;
  overlays["Named features"] = features;
  control = L.control.layers({}, overlays, { collapsed: false }).addTo(map);
  const [[ymin, xmin], [ymax, xmax]] = m.bounds;
  fitProjected(xmin, ymin, xmax, ymax);
  const slider = el("slider");
  slider.max = route ? route.hours.length - 1 : 0;
  slider.value = 0;
  showState(0);
  setupMission();
  updateLegend();
  el("legend").textContent = `${m.layers.length} raster layers, ${m.candidates.length} candidates` +
    (route ? `, route of ${route.hours.length} samples` : ", no traverse");
  await updateCompare();
}

// ---------------------------------------------------------------- traverse and campaign state (the old sliders)
function showState(i) {
  if (!route) { return; }
  const t = Date.parse(route.start_utc) + route.hours[i] * 3600e3;
  el("s-time").textContent = fmtUtc(t);
  el("s-action").textContent = route.action[i];
  el("s-sun").textContent = `${Math.round(route.sun_fraction[i] * 100)} %`;
  el("s-earth").textContent = route.earth_visible[i] ? "yes" : "no";
  el("s-battery").textContent = route.battery_Wh[i].toFixed(0);
  roverMarker.setLatLng(xy(route.x_m[i], route.y_m[i]));
}

function showDay(day) {
  if (!campaign) { return; }
  const d = campaign.days[day - 1];
  el("c-day").textContent = `${d.day} of ${campaign.days.length}`;
  el("c-battery").textContent = d.battery_Wh.toFixed(0);
  el("c-temperature").textContent = d.temperature_K.toFixed(1);
  el("c-activity").textContent = Object.entries(d.activity_hours).map(([a, h]) => `${a} ${h}`).join(", ");
  el("c-samples").textContent = d.samples;
  el("c-data").textContent = d.data_returned_MB.toFixed(0);
  campaignMarker.setLatLng(xy(d.x_m, d.y_m));
}

// ---------------------------------------------------------------- mission time (one slider over the traverse and the campaign)
// The slider runs in hours over the longer of the two: the traverse (route.hours from route.start_utc) and the
// campaign (24 h per day from campaign.start_utc). At time t the rover is on the route while t is within the
// traverse, and at the campaign day's end position after it.
function setupMission() {
  const routeHours = route ? route.hours[route.hours.length - 1] : 0;
  const campaignHours = campaign ? campaign.days.length * 24 : 0;
  const slider = el("mission-time");
  if (!route && !campaign) {
    mission = null; slider.max = 0; slider.value = 0;
    el("m-time").textContent = "-";
    return;
  }
  const longer = campaignHours > routeHours ? campaign : route;
  mission = { hours: Math.max(routeHours, campaignHours), startMs: Date.parse(longer.start_utc), routeEnd: routeHours };
  if (!missionMarker) {
    missionMarker = L.marker(xy(0, 0), { icon: L.divIcon({ className: "mission-rover", iconSize: [16, 16] }),
      title: "rover at mission time", zIndexOffset: 2000 });
  }
  addRunLayer(missionMarker, true);
  slider.max = mission.hours; slider.step = mission.hours > 500 ? 1 : 0.25; slider.value = 0;
  showMission(0);
}

function routeIndexAt(h) {
  let lo = 0, hi = route.hours.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (route.hours[mid] <= h) { lo = mid; } else { hi = mid - 1; }
  }
  return lo;
}

// ---------------------------------------------------------------- instantaneous shadow at the mission time
let shadowOverlay = null;
let shadowTimer = null;
function showShadow(ms) {
  const meta = manifest && manifest.layers.find((l) => l.name === "illumination");
  if (!meta || !currentRun) { return; }
  const hour = Math.floor(ms / 3600e3) * 3600e3;  // one image per hour of mission time
  const url = `/api/runs/${currentRun}/shadow.png?time=${new Date(hour).toISOString().slice(0, 19)}Z`;
  const [[ymin, xmin], [ymax, xmax]] = meta.bounds;
  if (!shadowOverlay) {  // bounds in projected metres: a lat/lon box is not a map rectangle near the pole
    shadowOverlay = L.Proj.imageOverlay(url, L.bounds([xmin, ymin], [xmax, ymax]),
      { opacity: 0.85, className: "layer-shadow", zIndex: 5 });
  }
  clearTimeout(shadowTimer);  // while the slider moves, ask for the image it settles on
  shadowTimer = setTimeout(() => { shadowOverlay.setUrl(url); el("shadow-time").textContent = fmtUtc(hour); }, 150);
}

function stationsInContact(ms) {
  if (!manifest || !manifest.comms) { return null; }
  return manifest.comms.stations.filter((s) => s.windows.some(([a, b]) => Date.parse(a) <= ms && ms < Date.parse(b)))
    .map((s) => s.name);
}

function showMission(h) {
  if (!mission) { return; }
  const ms = mission.startMs + h * 3600e3;
  showShadow(ms);
  const inContact = stationsInContact(ms);
  el("m-stations").textContent = inContact === null ? "-" : (inContact.length ? inContact.join(", ") : "none");
  el("m-time").textContent = `${fmtUtc(mission.startMs + h * 3600e3)} UTC (+${(h / 24).toFixed(1)} d)`;
  if (route && h <= mission.routeEnd) {
    const i = routeIndexAt(h);
    missionMarker.setLatLng(xy(route.x_m[i], route.y_m[i]));
    el("m-phase").textContent = `traverse, step ${i + 1} of ${route.hours.length}`;
    el("m-where").textContent = `x ${fmt(route.x_m[i], 0)} m, y ${fmt(route.y_m[i], 0)} m`;
    el("m-ops").textContent = `${route.action[i]}; Sun ${Math.round(route.sun_fraction[i] * 100)} %; ` +
      `Earth ${route.earth_visible[i] ? "in view" : "hidden"}; battery ${route.battery_Wh[i].toFixed(0)} Wh`;
    el("slider").value = i; showState(i);
  } else if (campaign) {
    const day = Math.min(campaign.days.length, Math.max(1, Math.ceil(h / 24)));
    const d = campaign.days[day - 1];
    missionMarker.setLatLng(xy(d.x_m, d.y_m));
    el("m-phase").textContent = `campaign, day ${d.day} of ${campaign.days.length}`;
    el("m-where").textContent = `x ${fmt(d.x_m, 0)} m, y ${fmt(d.y_m, 0)} m`;
    el("m-ops").textContent = Object.entries(d.activity_hours).map(([a, n]) => `${a} ${n} h`).join(", ") +
      `; battery ${d.battery_Wh.toFixed(0)} Wh; ${d.data_returned_MB.toFixed(0)} MB returned`;
    el("campaign-slider").value = day; showDay(day);
  } else {
    el("m-phase").textContent = "after the traverse";
  }
}

let playTimer = null;
function setPlaying(on) {
  if (playTimer) { clearInterval(playTimer); playTimer = null; }
  el("play").innerHTML = on ? "&#10074;&#10074;" : "&#9654;";
  el("play").classList.toggle("playing", on);
  if (!on || !mission) { return; }
  const stepMs = 100;
  playTimer = setInterval(() => {
    const slider = el("mission-time");
    const next = Number(slider.value) + (Number(el("speed").value) * stepMs) / 1000;
    if (next >= mission.hours) { slider.value = mission.hours; showMission(mission.hours); setPlaying(false); return; }
    slider.value = next; showMission(next);
  }, stepMs);
}

// ---------------------------------------------------------------- legend (every visible raster layer)
const legendControl = L.control({ position: "bottomright" });
legendControl.onAdd = () => {
  const div = L.DomUtil.create("div", "map-legend leaflet-bar");
  div.id = "map-legend";
  L.DomEvent.disableClickPropagation(div);
  L.DomEvent.disableScrollPropagation(div);
  return div;
};
legendControl.addTo(map);

function updateLegend() {
  const div = el("map-legend");
  div.innerHTML = "";
  const shown = rasters.filter((r) => map.hasLayer(r.layer));
  if (!shown.length) { div.innerHTML = "<div class=\"legend-empty\">no raster layer shown</div>"; return; }
  for (const { meta, layer } of shown) {
    const entry = L.DomUtil.create("div", "legend-entry", div);
    entry.dataset.layer = meta.name;
    const unit = meta.unit ? ` [${escapeHtml(meta.unit)}]` : "";
    entry.innerHTML = `<div class="legend-title">${escapeHtml(meta.title)}${unit}</div>` +
      `<div class="colorbar" style="background: ${cmapGradient(meta.cmap)}"></div>` +
      `<div class="legend-range"><span>${fmt(meta.vmin)}</span><span>${escapeHtml(meta.cmap)}</span><span>${fmt(meta.vmax)}</span></div>`;
    const opacity = L.DomUtil.create("input", "legend-opacity", entry);
    Object.assign(opacity, { type: "range", min: 0, max: 1, step: 0.05, value: layer.options.opacity, title: "opacity" });
    opacity.setAttribute("aria-label", `opacity of ${meta.name}`);
    opacity.addEventListener("input", () => layer.setOpacity(Number(opacity.value)));
  }
}
map.on("overlayadd overlayremove", updateLegend);

// ---------------------------------------------------------------- cursor read-out and pinned point
const readoutControl = L.control({ position: "bottomleft" });
readoutControl.onAdd = () => {
  const div = L.DomUtil.create("div", "readout leaflet-bar");
  div.id = "readout";
  div.innerHTML = "move the cursor over the map";
  return div;
};
readoutControl.addTo(map);

function positionHtml(ll) {
  const p = crs.project(ll);
  return `<div>lat ${ll.lat.toFixed(4)}&deg;, lon ${ll.lng.toFixed(3)}&deg;</div>` +
    `<div>x ${p.x.toFixed(0)} m, y ${p.y.toFixed(0)} m</div>`;
}

function valuesHtml(v) {
  const rows = [`<div>height ${fmt(v.height_m, 1)} m</div>`];
  for (const l of v.layers || []) {
    rows.push(`<div>${escapeHtml(l.name)}: ${fmt(l.value)}${l.unit ? " " + escapeHtml(l.unit) : ""}</div>`);
  }
  return rows.join("");
}

async function pointValues(ll) {
  if (!currentRun) { return null; }
  try {
    return await getJSON(`/api/runs/${currentRun}/value?lat=${ll.lat.toFixed(6)}&lon=${ll.lng.toFixed(6)}`);
  } catch (err) { return null; }
}

// At most one value request every 200 ms (5/s); the latest cursor position wins, older answers are dropped.
const VALUE_INTERVAL_MS = 200;
let cursor = null, lastQuery = 0, queryTimer = null, querySeq = 0, cursorValues = "";
function renderReadout() {
  if (cursor) { el("readout").innerHTML = positionHtml(cursor) + cursorValues; }
}
function queryCursor() {
  queryTimer = null; lastQuery = Date.now();
  const ll = cursor, seq = ++querySeq;
  pointValues(ll).then((v) => {
    if (seq !== querySeq) { return; }
    cursorValues = v ? valuesHtml(v) : "";
    renderReadout();
  });
}
map.on("mousemove", (e) => {
  cursor = e.latlng;
  renderReadout();
  if (!currentRun || queryTimer) { return; }
  queryTimer = setTimeout(queryCursor, Math.max(0, VALUE_INTERVAL_MS - (Date.now() - lastQuery)));
});
map.on("mouseout", () => { cursor = null; cursorValues = ""; el("readout").innerHTML = "move the cursor over the map"; });

let pinMarker = null;
map.on("click", async (e) => {
  const ll = e.latlng;
  if (!pinMarker) { pinMarker = L.marker(ll, { title: "pinned point" }); }
  pinMarker.setLatLng(ll).addTo(map);
  el("pin").hidden = false;
  const p = crs.project(ll);
  const rows = [["lat", `${ll.lat.toFixed(5)}°`], ["lon", `${ll.lng.toFixed(4)}°`],
    ["x [m]", p.x.toFixed(0)], ["y [m]", p.y.toFixed(0)]];
  const fill = (extra) => {
    el("pin-table").innerHTML = rows.concat(extra).map(([k, v]) =>
      `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("");
  };
  fill(currentRun ? [["values", "loading"]] : []);
  const v = await pointValues(ll);
  if (v) {
    fill([["height [m]", fmt(v.height_m, 1)]].concat((v.layers || []).map((l) =>
      [l.unit ? `${l.name} [${l.unit}]` : l.name, fmt(l.value)])));
  } else {
    fill(currentRun ? [["values", "not available here"]] : []);
  }
});
// ---------------------------------------------------------------- the pinned point's horizon, Sun and Earth
function drawHorizon(h) {
  const c = el("horizon-chart");
  const g = c.getContext("2d");
  const W = c.width, H = c.height, top = 10, bottom = H - 18;
  const all = h.horizon.elevation_deg.concat(h.sun.elevation_deg, h.earth.elevation_deg);
  const lo = Math.min(-2, Math.floor(Math.min(...all))), hi = Math.max(4, Math.ceil(Math.max(...all)));
  const X = (az) => (az / 360) * W, Y = (el_) => bottom - ((el_ - lo) / (hi - lo)) * (bottom - top);
  g.clearRect(0, 0, W, H);
  g.fillStyle = "#333"; g.beginPath(); g.moveTo(0, bottom);
  h.horizon.azimuth_deg.forEach((az, i) => g.lineTo(X(az), Y(h.horizon.elevation_deg[i])));
  g.lineTo(W, bottom); g.closePath(); g.fill();
  const path = (body, colour) => {
    g.fillStyle = colour;
    body.azimuth_deg.forEach((az, i) => { g.beginPath(); g.arc(X(az), Y(body.elevation_deg[i]), 2, 0, 2 * Math.PI); g.fill(); });
  };
  path(h.sun, "#ffb000"); path(h.earth, "#3fa7ff");
  g.fillStyle = "#ccc"; g.font = "10px sans-serif";
  g.fillText(`${hi} deg`, 2, top + 8); g.fillText(`${lo} deg`, 2, bottom - 2);
  ["N", "E", "S", "W"].forEach((t, k) => g.fillText(t, X(k * 90) + 2, H - 4));
  const lit = h.sun.visible_fraction.filter((f) => f > 0).length;
  el("horizon-note").textContent = `Horizon (grey), the Sun (orange) and the Earth (blue) over ${h.time_utc.length} h from ` +
    `${h.time_utc[0]}; the Sun is visible in ${lit} of them. Terrain: ${h.dem}.`;
}

map.on("click", async (e) => {
  const start = mission ? mission.startMs + Number(el("mission-time").value) * 3600e3 : Date.now();
  const t = new Date(Math.floor(start / 3600e3) * 3600e3).toISOString().slice(0, 19) + "Z";
  el("horizon-note").textContent = "horizon: loading";
  try {
    drawHorizon(await getJSON(`/api/horizon?lat=${e.latlng.lat}&lon=${e.latlng.lng}&time=${t}&hours=24`));
  } catch (err) {
    el("horizon-note").textContent = `horizon: ${err.message}`;
  }
});

el("pin-clear").addEventListener("click", () => { if (pinMarker) { pinMarker.remove(); } el("pin").hidden = true; });

// ---------------------------------------------------------------- run list and comparison
const COMPARE_ROWS = [
  ["landing candidates", ["sites", "n_candidates"], 0],
  ["traverse distance [m]", ["traverse", "distance_m"], 0],
  ["data volume [GB]", ["comms", "total_volume_GB"], 2],
  ["water mass P50 [kg]", ["science", "water_mass_kg", "p50"], 1],
  ["ops success probability", ["ops", "p_success"], 3],
];
const summaries = {};
async function summaryOf(name) {
  if (!(name in summaries)) {
    try { summaries[name] = await getJSON(`/api/runs/${name}/summary`); } catch (err) { summaries[name] = null; }
  }
  return summaries[name];
}

function pick(obj, path) {
  let v = obj;
  for (const k of path) { if (v === null || typeof v !== "object" || !(k in v)) { return undefined; } v = v[k]; }
  return v;
}

async function updateCompare() {
  const other = el("compare-select").value;
  const names = [currentRun, other].filter((n) => n);
  const table = el("compare");
  if (!names.length) { table.innerHTML = ""; return; }
  const sums = await Promise.all(names.map(summaryOf));
  const head = `<tr><th></th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join("")}</tr>`;
  const rows = COMPARE_ROWS.filter(([, path]) => sums.some((s) => s && pick(s.stages, path) !== undefined))
    .map(([label, path, digits]) => `<tr><th>${escapeHtml(label)}</th>` +
      sums.map((s) => `<td>${escapeHtml(fmt(s ? pick(s.stages, path) : undefined, digits))}</td>`).join("") + "</tr>");
  table.innerHTML = head + (rows.length ? rows.join("") : `<tr><td colspan="${names.length + 1}">no key numbers</td></tr>`);
}

async function refreshRuns(select) {
  const runs = (await getJSON("/api/runs")).filter((r) => r.ready);
  const sel = el("run-select");
  const cmp = el("compare-select");
  const keepCompare = cmp.value;
  sel.innerHTML = "";
  cmp.innerHTML = "<option value=\"\">(none)</option>";
  for (const r of runs) {
    for (const s of [sel, cmp]) {
      const o = document.createElement("option");
      o.value = r.name; o.textContent = r.name; s.appendChild(o);
    }
    delete summaries[r.name];  // a re-run replaces the summary
  }
  cmp.value = runs.some((r) => r.name === keepCompare) ? keepCompare : "";
  if (select) { sel.value = select; }
  if (sel.value) { await loadRun(sel.value); }
}

// ---------------------------------------------------------------- form and controls
el("slider").addEventListener("input", (e) => showState(Number(e.target.value)));
el("campaign-slider").addEventListener("input", (e) => showDay(Number(e.target.value)));
el("mission-time").addEventListener("input", (e) => showMission(Number(e.target.value)));
el("play").addEventListener("click", () => setPlaying(!playTimer));
el("run-select").addEventListener("change", (e) => loadRun(e.target.value));
el("compare-select").addEventListener("change", () => updateCompare());

el("start-run").addEventListener("click", async () => {
  const scenario = el("scenario-select").value;
  const progress = el("progress");
  const r = await fetch("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ scenario }) });
  const body = await r.json();
  if (!r.ok) { progress.textContent = `refused: ${body.detail}`; return; }
  progress.textContent = `${scenario}: starting`;
  const source = new EventSource(body.events);
  source.onmessage = async (msg) => {
    const e = JSON.parse(msg.data);
    if (e.event === "stage") { progress.textContent = `${scenario}: ${e.stage}`; }
    if (e.event === "progress" && e.total) { progress.textContent = `${scenario}: ${e.stage} ${e.done}/${e.total}`; }
    if (e.event === "done") { source.close(); progress.textContent = `${scenario}: done in ${e.elapsed_s} s`; await refreshRuns(scenario); }
    if (e.event === "failed") { source.close(); progress.textContent = `${scenario}: failed: ${e.error}`; }
  };
});

(async () => {
  updateLegend();
  const scenarios = await getJSON("/api/scenarios");
  const sel = el("scenario-select");
  for (const s of scenarios) {
    const o = document.createElement("option"); o.value = s.name; o.textContent = s.name; o.title = s.title;
    sel.appendChild(o);
  }
  await Promise.all([loadFeatures(), refreshRuns()]);
})();

// for tests and the browser console
window.lupex = { map, crs, xy, RESOLUTIONS, baseLayer };
