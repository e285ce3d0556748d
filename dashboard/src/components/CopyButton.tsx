import { useState } from "react";

/** Copies text (or text fetched on click, e.g. a secret that is never kept) to the clipboard. */
export function CopyButton({
  text,
  label = "Copy",
  testId,
}: {
  text: string | (() => Promise<string>);
  label?: string;
  testId?: string;
}) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      const value = typeof text === "string" ? text : await text();
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      setState("failed");
    }
    window.setTimeout(() => setState("idle"), 2000);
  };
  return (
    <button type="button" className="button button-small" onClick={() => void copy()} data-test-id={testId}>
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label}
    </button>
  );
}
