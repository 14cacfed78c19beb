#!/usr/bin/env node
// make_land.mjs — writes src/render/worldmap/land-110m.txt, the land outline the offline world map draws.
//
// Source: Natural Earth 1:110m land (https://www.naturalearthdata.com/), public domain ("No
// permission is needed to use Natural Earth. Crediting the authors is unnecessary."), as packaged
// in TopoJSON by the npm package `world-atlas` 2.0.2 (file `land-110m.json`; the packaging is ISC,
// the data stays public domain). Only the data is used: no code of world-atlas or topojson-client
// is copied or loaded; the TopoJSON arcs are decoded below.
//
// What it does:
//   1. decodes the quantized, delta-encoded TopoJSON arcs into longitude/latitude rings;
//   2. cuts every ring at the antimeridian (±180°): longitudes are unwrapped along the ring, a
//      ring that winds once round a pole (Antarctica) is closed along that pole, and the ring is
//      clipped to [-180°, 180°] together with its copies shifted by ±360°, so no edge crosses the
//      map (Chukotka, Fiji, Wrangel Island) and Antarctica is a band along the bottom;
//   3. projects with Equal Earth (Šavrič, Patterson & Jenny 2018) — the same constants and grid
//      as src/render/worldmap/projection.rs; the check lines it writes are compared with the Rust
//      projection by the crate's tests;
//   4. writes SVG path data on an integer grid GRID_W units wide: each ring is `M x y`, then
//      relative `l dx dy …` steps (points that round onto the previous one are dropped), then `z`.
//      Fill it with fill-rule="evenodd" (the Caspian Sea is a hole).
//
// Re-run (from the crate root; needs Node ≥ 18 and the npm registry):
//   tmp=$(mktemp -d) && npm install --prefix "$tmp" world-atlas@2.0.2 \
//     && node tools/make_land.mjs "$tmp/node_modules/world-atlas/land-110m.json" \
//        > src/render/worldmap/land-110m.txt && rm -rf "$tmp"
// then `cargo test` (the projection check, the city-on-land and the no-streak tests read it).

import { readFileSync } from 'node:fs';

// ---- Equal Earth: keep in step with src/render/worldmap/projection.rs -------------------------
const A1 = 1.340264, A2 = -0.081106, A3 = 0.000893, A4 = 0.003796;
const M = Math.sqrt(3) / 2;
/** Equal Earth on the unit sphere: degrees → [x, y], y up. */
function equalEarth(lon, lat) {
  const lambda = (lon * Math.PI) / 180;
  const phi = (lat * Math.PI) / 180;
  const theta = Math.asin(M * Math.sin(phi));
  const t2 = theta * theta, t6 = t2 * t2 * t2;
  const x = (lambda * Math.cos(theta)) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)));
  const y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
  return [x, y];
}
const XMAX = equalEarth(180, 0)[0];
const YMAX = equalEarth(0, 90)[1];
const GRID_W = 2000;
const K = GRID_W / (2 * XMAX);
const GRID_H = Math.round(2 * YMAX * K);
/** Degrees → grid units (x right, y down), not rounded. */
function grid(lon, lat) {
  const [x, y] = equalEarth(lon, lat);
  return [(x + XMAX) * K, (YMAX - y) * K];
}

// ---- TopoJSON decoding -------------------------------------------------------------------------
const file = process.argv[2];
if (!file) {
  console.error('usage: node tools/make_land.mjs path/to/world-atlas/land-110m.json > src/render/worldmap/land-110m.txt');
  process.exit(2);
}
const topo = JSON.parse(readFileSync(file, 'utf8'));
const { scale, translate } = topo.transform;
const arcs = topo.arcs.map((arc) => {
  let x = 0, y = 0;
  return arc.map(([dx, dy]) => {
    x += dx; y += dy;
    return [x * scale[0] + translate[0], y * scale[1] + translate[1]];
  });
});
/** Joins arc indices into a closed ring (~i is arc i reversed); consecutive arcs share a point. */
function ring(indices) {
  const out = [];
  for (const i of indices) {
    const arc = i >= 0 ? arcs[i] : arcs[~i].slice().reverse();
    arc.forEach((p, j) => { if (j > 0 || out.length === 0) out.push(p); });
  }
  return out;
}
const rings = [];
function geometry(g) {
  if (g.type === 'GeometryCollection') g.geometries.forEach(geometry);
  else if (g.type === 'Polygon') g.arcs.forEach((r) => rings.push(ring(r)));
  else if (g.type === 'MultiPolygon') g.arcs.forEach((p) => p.forEach((r) => rings.push(ring(r))));
  else throw new Error(`unexpected geometry ${g.type}`);
}
geometry(topo.objects.land);

// ---- Antimeridian and poles ---------------------------------------------------------------------
/** Longitudes made continuous along the ring; a ring round a pole is closed along it. */
function unwrap(r) {
  const out = [r[0].slice()];
  for (let i = 1; i < r.length; i++) {
    let lon = r[i][0];
    const prev = out[i - 1][0];
    while (lon - prev > 180) lon -= 360;
    while (lon - prev < -180) lon += 360;
    out.push([lon, r[i][1]]);
  }
  const turn = Math.round((out[out.length - 1][0] - out[0][0]) / 360);
  if (turn !== 0) {
    const meanLat = out.reduce((s, p) => s + p[1], 0) / out.length;
    const pole = meanLat < 0 ? -90 : 90;
    out.push([out[out.length - 1][0], pole], [out[0][0], pole]);
  }
  return out;
}
/** Sutherland–Hodgman against one vertical line: keeps lon >= x0 (side = 1) or lon <= x0 (side = -1). */
function clipSide(r, x0, side) {
  const inside = (p) => side * (p[0] - x0) >= 0;
  const out = [];
  for (let i = 0; i < r.length; i++) {
    const a = r[i], b = r[(i + 1) % r.length];
    if (inside(a)) out.push(a);
    if (inside(a) !== inside(b)) {
      const t = (x0 - a[0]) / (b[0] - a[0]);
      out.push([x0, a[1] + t * (b[1] - a[1])]);
    }
  }
  return out;
}
/** Inserts points so no step is longer than 2° in longitude or latitude (meridian cuts, poles). */
function densify(r) {
  const out = [];
  for (let i = 0; i < r.length; i++) {
    const a = r[i], b = r[(i + 1) % r.length];
    const n = Math.ceil(Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])) / 2);
    for (let j = 0; j < Math.max(n, 1); j++) out.push([a[0] + ((b[0] - a[0]) * j) / n || a[0], a[1] + ((b[1] - a[1]) * j) / n || a[1]]);
  }
  return out;
}

const pieces = [];
for (const r of rings) {
  const u = unwrap(r.slice(0, -1)); // TopoJSON rings repeat their first point at the end
  const lo = Math.min(...u.map((p) => p[0])), hi = Math.max(...u.map((p) => p[0]));
  for (const k of [-1, 0, 1]) {
    if (hi + 360 * k <= -180 || lo + 360 * k >= 180) continue;
    const shifted = u.map(([lon, lat]) => [lon + 360 * k, lat]);
    const piece = clipSide(clipSide(shifted, -180, 1), 180, -1);
    if (piece.length >= 3) pieces.push(densify(piece));
  }
}

// ---- Projection and output ----------------------------------------------------------------------
let d = '';
let kept = 0, points = 0;
for (const piece of pieces) {
  const pts = [];
  for (const [lon, lat] of piece) {
    const [gx, gy] = grid(Math.max(-180, Math.min(180, lon)), lat);
    // Rounded to the grid, except that a pole line stays on or past the map's edge.
    const x = Math.round(gx), y = lat <= -90 ? Math.ceil(gy) : lat >= 90 ? Math.floor(gy) : Math.round(gy);
    const last = pts[pts.length - 1];
    if (!last || last[0] !== x || last[1] !== y) pts.push([x, y]);
  }
  while (pts.length > 1 && pts[0][0] === pts[pts.length - 1][0] && pts[0][1] === pts[pts.length - 1][1]) pts.pop();
  let area2 = 0;
  for (let i = 0; i < pts.length; i++) {
    const [ax, ay] = pts[i], [bx, by] = pts[(i + 1) % pts.length];
    area2 += ax * by - bx * ay;
  }
  if (pts.length < 3 || area2 === 0) continue;
  kept++; points += pts.length;
  const num = (v, first) => (first || v < 0 ? `${v}` : ` ${v}`);
  d += `M${pts[0][0]} ${pts[0][1]}l`;
  for (let i = 1; i < pts.length; i++) {
    d += num(pts[i][0] - pts[i - 1][0], i === 1) + num(pts[i][1] - pts[i - 1][1], false);
  }
  d += 'z';
}

const check = [[0, 0], [180, 0], [-180, 0], [0, 90], [0, -90], [-0.1278, 51.5074], [151.2093, -33.8688], [-149.9003, 61.2181]];
const lines = [
  '# Natural Earth 1:110m land (public domain), via npm world-atlas 2.0.2 land-110m.json.',
  '# Written by tools/make_land.mjs (see it to re-run); do not edit by hand.',
  `# Equal Earth, grid ${GRID_W} x ${GRID_H} (x right, y down); ${kept} rings, ${points} points; fill-rule evenodd.`,
  ...check.map(([lon, lat]) => { const [x, y] = grid(lon, lat); return `# check ${lon} ${lat} ${x.toFixed(4)} ${y.toFixed(4)}`; }),
  d,
];
process.stdout.write(lines.join('\n') + '\n');
