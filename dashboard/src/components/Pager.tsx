export function Pager({
  from,
  count,
  total,
  totalCapped = false,
  hasPrevious,
  hasMore,
  onPrevious,
  onNext,
  loading,
}: {
  from: number;
  count: number;
  total: number;
  totalCapped?: boolean;
  hasPrevious: boolean;
  hasMore: boolean;
  onPrevious: () => void;
  onNext: () => void;
  loading: boolean;
}) {
  // Past 10,000 matching rows the API stops counting: "of 10,000+".
  const of = `${total.toLocaleString()}${totalCapped ? "+" : ""}`;
  const summary = count === 0 ? `0 of ${of}` : `${(from + 1).toLocaleString()}–${(from + count).toLocaleString()} of ${of}`;
  return (
    <div className="pager" data-test-id="pager">
      <span data-test-id="page-summary">{summary}</span>
      {loading ? <span className="spinner spinner-small" aria-label="Refreshing" /> : null}
      <button type="button" className="button button-small" disabled={!hasPrevious} onClick={onPrevious} data-test-id="previous-page">
        ← Previous
      </button>
      <button type="button" className="button button-small" disabled={!hasMore} onClick={onNext} data-test-id="next-page">
        Next →
      </button>
    </div>
  );
}
