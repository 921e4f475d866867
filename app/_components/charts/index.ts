/** Shared D3 chart primitives (client components) and client-side exports. */
export { SortedCurves, type CurvePoint, type CurveSeries, type SortedCurvesProps } from './SortedCurves';
export { Histogram, type HistogramProps } from './Histogram';
export { ChartFrame, ChartTooltip, AxisBottom, AxisLeft, palette, type Tip } from './parts';
export { download, exportCsv, exportJson, exportPng, exportSvg, fileSlug, serializeSvg, toCsv } from './export';
