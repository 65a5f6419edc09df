// lupex dashboard: Leaflet in the lunar south polar stereographic grid (metres), no tile server.
"use strict";
const map = L.map("map", { crs: L.CRS.Simple, minZoom: -7, maxZoom: 3, zoomSnap: 0.25, attributionControl: false });
let control = null;
let groups = [];
let route = null;
let roverMarker = null;
let campaign = null;
let campaignMarker = null;

function xy(x, y) { return L.latLng(y, x); }  // CRS.Simple: lat = y [m], lng = x [m]

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) { throw new Error((await r.json()).detail || r.statusText); }
  return r.json();
}

async function refreshRuns(select) {
  const runs = await getJSON("/api/runs");
  const sel = document.getElementById("run-select");
  sel.innerHTML = "";
  for (const r of runs.filter((r) => r.ready)) {
    const o = document.createElement("option");
    o.value = r.name; o.textContent = r.name; sel.appendChild(o);
  }
  if (select) { sel.value = select; }
  if (sel.value) { await loadRun(sel.value); }
}

async function loadRun(name) {
  const m = await getJSON(`/api/runs/${name}/layers.json`);
  document.getElementById("run-title").textContent = m.title;
  document.getElementById("report-link").href = `/api/runs/${name}/report`;
  if (control) { control.remove(); }
  for (const g of groups) { map.removeLayer(g); }
  groups = [];
  const bounds = L.latLngBounds(m.bounds);
  const overlays = {};
  let base = null;
  for (const layer of m.layers) {
    const img = L.imageOverlay(`/api/runs/${name}/layers/${layer.name}.png?t=${Date.now()}`,
      L.latLngBounds(layer.bounds || m.bounds), { opacity: layer.opaque ? 1.0 : 0.8, className: `layer-${layer.name}` });
    groups.push(img);
    if (layer.opaque && !base) { base = img; img.addTo(map); } else { overlays[layer.title] = img; }
    if (layer.name === "illumination") { img.addTo(map); }
  }
  const cand = L.layerGroup(m.candidates.map((c) => L.circleMarker(xy(c.x_m, c.y_m),
    { radius: 6, color: "#000", weight: 1, fillColor: "#ffa500", fillOpacity: 1 })
    .bindTooltip(`#${c.rank}: ${c.lat_deg.toFixed(4)}, ${c.lon_deg.toFixed(3)}`)));
  cand.addTo(map); groups.push(cand);
  overlays["Landing candidates"] = cand;
  route = m.route.available ? m.route : null;
  if (route) {
    const line = L.polyline(route.x_m.map((x, i) => xy(x, route.y_m[i])), { color: "#00e5ff", weight: 3 });
    roverMarker = L.marker(xy(route.x_m[0], route.y_m[0]),
      { icon: L.divIcon({ className: "rover-icon", iconSize: [12, 12] }), title: "rover" });
    const traverse = L.layerGroup([line, roverMarker]);
    traverse.addTo(map); groups.push(traverse);
    overlays["Traverse"] = traverse;
  }
  campaign = m.campaign && m.campaign.days.length ? m.campaign : null;
  document.getElementById("campaign").hidden = !campaign;
  if (campaign) {
    const track = L.polyline(campaign.days.map((d) => xy(d.x_m, d.y_m)), { color: "#ff4fd8", weight: 2, dashArray: "4 4" });
    campaignMarker = L.circleMarker(xy(campaign.days[0].x_m, campaign.days[0].y_m),
      { radius: 7, color: "#000", weight: 1, fillColor: "#ff4fd8", fillOpacity: 1 }).bindTooltip("rover (campaign)");
    const ops = L.layerGroup([track, campaignMarker]);
    ops.addTo(map); groups.push(ops);
    overlays["Campaign (day by day)"] = ops;
    const cs = document.getElementById("campaign-slider");
    cs.max = campaign.days.length; cs.value = 1;
    showDay(1);
  }
  control = L.control.layers(base ? { Hillshade: base } : {}, overlays, { collapsed: false }).addTo(map);
  map.fitBounds(bounds);
  const slider = document.getElementById("slider");
  slider.max = route ? route.hours.length - 1 : 0;
  slider.value = 0;
  showState(0);
  document.getElementById("legend").textContent =
    `${m.layers.length} raster layers, ${m.candidates.length} candidates` + (route ? `, route of ${route.hours.length} samples` : ", no traverse");
}

function showState(i) {
  if (!route) { return; }
  const t = new Date(Date.parse(route.start_utc) + route.hours[i] * 3600e3);
  document.getElementById("s-time").textContent = t.toISOString().slice(0, 16).replace("T", " ");
  document.getElementById("s-action").textContent = route.action[i];
  document.getElementById("s-sun").textContent = `${Math.round(route.sun_fraction[i] * 100)} %`;
  document.getElementById("s-earth").textContent = route.earth_visible[i] ? "yes" : "no";
  document.getElementById("s-battery").textContent = route.battery_Wh[i].toFixed(0);
  roverMarker.setLatLng(xy(route.x_m[i], route.y_m[i]));
}

function showDay(day) {
  if (!campaign) { return; }
  const d = campaign.days[day - 1];
  document.getElementById("c-day").textContent = `${d.day} of ${campaign.days.length}`;
  document.getElementById("c-battery").textContent = d.battery_Wh.toFixed(0);
  document.getElementById("c-temperature").textContent = d.temperature_K.toFixed(1);
  document.getElementById("c-activity").textContent =
    Object.entries(d.activity_hours).map(([a, h]) => `${a} ${h}`).join(", ");
  document.getElementById("c-samples").textContent = d.samples;
  document.getElementById("c-data").textContent = d.data_returned_MB.toFixed(0);
  campaignMarker.setLatLng(xy(d.x_m, d.y_m));
}

document.getElementById("slider").addEventListener("input", (e) => showState(Number(e.target.value)));
document.getElementById("campaign-slider").addEventListener("input", (e) => showDay(Number(e.target.value)));
document.getElementById("run-select").addEventListener("change", (e) => loadRun(e.target.value));

document.getElementById("start-run").addEventListener("click", async () => {
  const scenario = document.getElementById("scenario-select").value;
  const progress = document.getElementById("progress");
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
  const scenarios = await getJSON("/api/scenarios");
  const sel = document.getElementById("scenario-select");
  for (const s of scenarios) {
    const o = document.createElement("option"); o.value = s.name; o.textContent = s.name; o.title = s.title;
    sel.appendChild(o);
  }
  await refreshRuns();
})();
