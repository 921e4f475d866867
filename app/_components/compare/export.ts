/**
 * Downloads of the compare charts and their data: the shared chart exports
 * (app/_components/charts/export.ts) — standalone SVG without interaction-only
 * elements, PNG at 2×, CSV with formula-safe cells, JSON.
 */
export { exportCsv, exportJson, exportPng, exportSvg, fileSlug, toCsv } from '../charts/export';
