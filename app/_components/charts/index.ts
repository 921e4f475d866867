/**
 * The chart kit: axes, frame with downloads, tooltip, keyboard cursor, colour
 * scales and number formats, exports (SVG, PNG, CSV, JSON); and the charts
 * that several pages use. Every chart of the portal draws with these parts.
 */
export { SortedCurves, type CurvePoint, type CurveSeries, type SortedCurvesProps } from './SortedCurves';
export { binHolds, Histogram, type HistogramBin, type HistogramProps } from './Histogram';
export { DeletionCurves, type DeletionBand, type DeletionCurvesProps, type DeletionSeries } from './DeletionCurves';
export { AxisBottom, AxisLeft, axisTicks, type AxisProps, type AxisScale } from './axes';
export { ChartFrame, ChartSvg, ChartTooltip, LegendItem, tipAt, type ChartFrameProps, type Tip } from './frame';
export { cursorGroups, cursorStep, openOnEnter, useCursor, useNearest, type CursorPoint } from './cursor';
export { DataTable, type TableColumn } from './table';
export { ACCENT, categorical, cellColor, cellInk, cellLegend, exact, fmt3, fmtP, FONT, GRID, INK, MUTED, palette, SIDE_COLORS, stars } from './theme';
export { download, exportCsv, exportJson, exportPng, exportSvg, fileSlug, serializeSvg, toCsv, type Cell } from './export';
