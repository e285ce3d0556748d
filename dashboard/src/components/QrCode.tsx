import { useMemo } from "react";
import { encode } from "uqr";

/** A QR code of `text` as an SVG drawn by React from uqr's module matrix (no HTML injected). */
export function QrCode({ text, size = 168, testId }: { text: string; size?: number; testId?: string }) {
  const qr = useMemo(() => encode(text, { border: 2 }), [text]);
  const path = useMemo(() => {
    const parts: string[] = [];
    qr.data.forEach((row, y) => row.forEach((dark, x) => dark && parts.push(`M${x} ${y}h1v1h-1z`)));
    return parts.join("");
  }, [qr]);
  return (
    <svg
      role="img"
      aria-label={`QR code for ${text}`}
      width={size}
      height={size}
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      shapeRendering="crispEdges"
      data-test-id={testId}
      data-text={text}
    >
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={path} fill="#0f172a" />
    </svg>
  );
}
