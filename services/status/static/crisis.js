// The crisis page: polls the status every 2 s and redraws the tables and the map.
"use strict";

const body = document.body;
const crisis = body.dataset.crisis;
const statusUrl = `/crisis/${encodeURIComponent(crisis)}/status.json?key=${encodeURIComponent(body.dataset.key)}`;
const CHANNELS = ["sms", "email", "push"];
const LEADER_COLOURS = { acknowledged: "#18753c", waiting: "#b34000", unreached: "#ce0500", closed: "#666" };

const map = window.L ? L.map("map", { zoomControl: true, attributionControl: false }) : null;
const layers = map ? L.layerGroup().addTo(map) : null;
let framed = false;
// ?labels: every name shown on the map at once (for print and screenshots), not on hover.
const LABELS = new URLSearchParams(location.search).has("labels");

// Deliveries held while a provider cannot take them: retried, not failed.
function waitingText(waiting) {
  const parts = Object.keys(waiting).sort().map((c) => `${c} ${waiting[c]}`);
  return parts.length ? ` · en attente d'un prestataire indisponible : ${parts.join(", ")}` : "";
}

function count(counters, key) {
  return Number(counters[key] || 0);
}

function drawChannels(counters) {
  const tbody = document.querySelector("#channels tbody");
  tbody.replaceChildren();
  for (const channel of CHANNELS) {
    const row = document.createElement("tr");
    row.dataset.channel = channel;
    const targeted = count(counters, `targeted:${channel}`);
    const done = ["sent", "failed", "skipped"].reduce((n, o) => n + count(counters, `${o}:${channel}`), 0);
    cell(row, channel);
    for (const outcome of ["targeted", "sent", "failed", "skipped"]) {
      cell(row, String(count(counters, `${outcome}:${channel}`))).dataset.outcome = outcome;
    }
    const bar = document.createElement("progress");
    bar.max = Math.max(targeted, 1);
    bar.value = targeted ? done : 1;
    cell(row, "").appendChild(bar);
    tbody.appendChild(row);
  }
}

function drawPosts(counters, posts, toCall) {
  const tbody = document.querySelector("#posts tbody");
  tbody.replaceChildren();
  for (const post of posts) {
    const row = document.createElement("tr");
    cell(row, post);
    for (const channel of CHANNELS) {
      cell(row, `${count(counters, `post:${post}:sent:${channel}`)}/${count(counters, `post:${post}:targeted:${channel}`)}`);
    }
    cell(row, String(toCall[post] ?? 0));
    tbody.appendChild(row);
  }
}

function drawNeeds(needs) {
  const tbody = document.querySelector("#needs tbody");
  tbody.replaceChildren();
  for (const [id, need] of Object.entries(needs)) {
    const row = document.createElement("tr");
    for (const text of [id, need.skill, need.count, need.requested, need.accepted, need.declined]) {
      cell(row, String(text));
    }
    const state = need.filled ? "pourvu" : need.unfilled_past_deadline ? "NON POURVU (échéance passée)" : "ouvert";
    const td = cell(row, state);
    if (!need.filled && need.unfilled_past_deadline) td.className = "unfilled";
    tbody.appendChild(row);
  }
}

function drawTrust(data) {
  const list = document.getElementById("trust");
  list.replaceChildren();
  for (const hold of data.holds) {
    const li = document.createElement("li");
    li.className = hold.approved ? "approved" : "held";
    li.textContent = hold.approved
      ? `${hold.identifier} : approuvé par un second opérateur (${hold.reason})`
      : `${hold.identifier} : EN ATTENTE d'un second opérateur (${hold.reason}) — personne n'a été alerté`;
    list.appendChild(li);
  }
  for (const [identifier, rejected] of Object.entries(data.rejected)) {
    const li = document.createElement("li");
    li.className = "rejected";
    li.textContent = `${identifier} : REJETÉ — ${rejected.reason}`;
    list.appendChild(li);
  }
}

function drawMap(layersData) {
  if (!map) return;
  layers.clearLayers();
  const area = L.geoJSON(layersData.area, {
    style: { color: "#ce0500", weight: 2, fillOpacity: 0.08 },
    pointToLayer: (feature, latlng) => L.circle(latlng, { radius: (feature.properties.radius_km || 1) * 1000, color: "#ce0500" }),
  }).addTo(layers);
  L.geoJSON(layersData.islands, {
    style: (feature) => ({ color: LEADER_COLOURS[feature.properties.leader] || "#000091", weight: 1, fillOpacity: 0.25 }),
    onEachFeature: (feature, layer) => layer.bindTooltip(asText(`${feature.properties.name} : ${feature.properties.leader}`), { permanent: LABELS }),
  }).addTo(layers);
  L.geoJSON(layersData.posts, {
    style: { color: "#000091", weight: 1, dashArray: "4 4", fill: false },
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 7, color: "#000091", fillOpacity: 0.9, className: "post" }),
    onEachFeature: (feature, layer) => layer.bindTooltip(asText(feature.properties.name), { permanent: LABELS }),
  }).addTo(layers);
  if (!framed && area.getLayers().length) {
    map.fitBounds(area.getBounds().pad(0.3));
    framed = true;
  }
}

async function refresh() {
  try {
    const response = await fetch(statusUrl, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status}`);
    const data = await response.json();
    const c = data.counters;
    // A drill or a test is shown in a colour of its own, never as a real crisis.
    const kind = { Exercise: "EXERCICE", Test: "TEST" }[data.state.status] || "";
    document.body.dataset.kind = data.state.status || "Actual";
    document.getElementById("summary").textContent =
      (kind ? `${kind} · ` : "") +
      `${data.state.state || "inconnu"} · ${count(c, "people")} personnes dans la zone · ` +
      `${count(c, "unreachable")} sans moyen de contact · ${count(c, "islands")} îlots` +
      (data.resolving && data.resolving.length ? " · destinataires en cours de décompte" : "") +
      waitingText(data.waiting || {});
    drawTrust(data);
    drawChannels(c);
    drawPosts(c, data.posts, data.to_call);
    const l = data.leaders;
    document.getElementById("leaders").textContent = l.islands
      ? `Chefs d'îlot : ${l.reached || 0} îlots sur ${l.islands} ont confirmé, ${l.escalated || 0} escaladés, ${l.waiting || 0} en attente, ${l.unreached || 0} injoignables`
      : "";
    const s = data.safety;
    document.getElementById("safety").textContent =
      `Sécurité : ${s.safe} en sécurité, ${s.help} ont besoin d'aide, ${s.no_answer} sans réponse`;
    drawNeeds(data.needs);
    drawMap(data.map);
    document.getElementById("updated").textContent = `Mis à jour ${new Date().toLocaleTimeString("fr-FR")}`;
    body.dataset.loaded = "true";
  } catch (error) {
    document.getElementById("updated").textContent = `Mise à jour impossible (${error.message})`;
  }
}

refresh();
setInterval(refresh, 2000);
