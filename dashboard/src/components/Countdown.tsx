import { useNow } from "../hooks";
import { formatDateTime, timeLeft } from "../time";

/** A live countdown to a deadline (respond_by): ticks every second, urgent in its last day. */
export function Countdown({ to, testId = "countdown" }: { to: string; testId?: string }) {
  const now = useNow(1000);
  const left = timeLeft(to, now);
  const urgent = left !== null && new Date(to).getTime() - now < 86_400_000;
  return (
    <span
      className={left === null ? "countdown countdown-over" : urgent ? "countdown countdown-urgent" : "countdown"}
      title={`Respond by ${formatDateTime(to)}`}
      data-test-id={testId}
      data-deadline={to}
    >
      {left === null ? "deadline passed" : `${left} left`}
    </span>
  );
}
