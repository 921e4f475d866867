/** Shown while the history (and the chart's aggregation) loads, e.g. after changing a filter. */
export default function HistoryLoading() {
  return (
    <div className="hist-loading" role="status" aria-live="polite">
      <p className="small muted" style={{ margin: 0 }}>
        Loading the lab&apos;s history…
      </p>
      <h1>History</h1>
      <div className="hist-skeleton hist-skeleton-filters" />
      <div className="hist-skeleton hist-skeleton-chart" />
      <div className="hist-skeleton hist-skeleton-row" />
      <div className="hist-skeleton hist-skeleton-row" />
      <div className="hist-skeleton hist-skeleton-row" />
    </div>
  );
}
