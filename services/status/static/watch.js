// The watch page: polls the watch list every 5 s and redraws the table and the areas.
"use strict";

const body = document.body;
const listUrl = `/watch/list.json?key=${encodeURIComponent(body.dataset.key)}`;
const SEVERITY_COLOURS = { Extreme: "#ce0500", Severe: "#b34000", Moderate: "#c8aa39", Minor: "#18753c" };
const map = window.L ? L.map("map", { zoomControl: true, attributionControl: false }) : null;
const layers = map ? L.layerGroup().addTo(map) : null;
let framed = false;

function utc(iso) {
  return iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") : "-";
}

function drawAlerts(alerts) {
  const tbody = document.querySelector("#alerts tbody");
  tbody.replaceChildren();
  for (const alert of alerts) {
    const row = document.createElement("tr");
    row.dataset.identifier = alert.identifier;
    cell(row, utc(alert.sent));
    cell(row, alert.issuer);
    cell(row, alert.event);
    cell(row, `${alert.severity} / ${alert.urgency} / ${alert.certainty}`);
    cell(row, utc(alert.expires));
    cell(row, String(alert.people)).dataset.people = String(alert.people);
    cell(row, Object.entries(alert.posts).map(([post, n]) => `${post} ${n}`).join(", "));
    const id = cell(row, alert.identifier);
    if (alert.draft === "ready") {
      id.append(" ", asText("· brouillon prêt (vigie relay)"));
      id.className = "draft";
    }
    tbody.appendChild(row);
  }
}

function drawSources(sources) {
  const list = document.getElementById("sources");
  list.replaceChildren();
  for (const source of sources) {
    const li = document.createElement("li");
    li.className = source.answering ? "approved" : "held";
    li.textContent = source.answering
      ? `${source.name} : répond (${source.alerts_seen} alertes lues)`
      : `${source.name} : NE RÉPOND PLUS (${source.failures_in_a_row} échecs de suite) — ${source.last_error}`;
    list.appendChild(li);
  }
}

function drawMap(alerts) {
  if (!map) return;
  layers.clearLayers();
  const all = L.featureGroup().addTo(layers);
  for (const alert of alerts) {
    const colour = SEVERITY_COLOURS[alert.severity] || "#000091";
    L.geoJSON(alert.map, {
      style: { color: colour, weight: 2, fillOpacity: 0.1 },
      pointToLayer: (feature, latlng) => L.circle(latlng, { radius: Math.max(feature.properties.radius_km || 1, 1) * 1000, color: colour }),
      onEachFeature: (feature, layer) => layer.bindTooltip(asText(`${alert.event} : ${alert.people} ressortissants`)),
    }).addTo(all);
  }
  if (!framed && all.getLayers().length) {
    map.fitBounds(all.getBounds().pad(0.3));
    framed = true;
  } else if (!framed) {
    map.setView([20, 0], 2);
  }
}

async function refresh() {
  try {
    const response = await fetch(listUrl, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status}`);
    const data = await response.json();
    const people = data.alerts.reduce((n, a) => n + a.people, 0);
    document.getElementById("summary").textContent =
      `${data.alerts.length} alertes en vigueur · ${people} ressortissants dans leurs zones`;
    drawSources(data.sources);
    drawAlerts(data.alerts);
    drawMap(data.alerts);
    document.getElementById("updated").textContent = `Mis à jour ${new Date().toLocaleTimeString("fr-FR")}`;
    body.dataset.loaded = "true";
  } catch (error) {
    document.getElementById("updated").textContent = `Mise à jour impossible (${error.message})`;
  }
}

refresh();
setInterval(refresh, 5000);
