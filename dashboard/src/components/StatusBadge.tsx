const TONES: Record<string, string> = {
  success: "good",
  processed: "good",
  ready: "good",
  won: "good",
  lost: "bad",
  failed: "bad",
  pending: "wait",
  processing: "wait",
  generating: "wait",
  open: "wait",
  under_review: "wait",
  skipped: "muted",
};

export function StatusBadge({ status, testId = "status" }: { status: string; testId?: string }) {
  return (
    <span className={`badge badge-${TONES[status] ?? "muted"}`} data-test-id={testId} data-status={status}>
      {status}
    </span>
  );
}
