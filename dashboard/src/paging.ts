import { useCallback, useState } from "react";

/**
 * Cursor paging (`starting_after`): every page costs the same however deep it is, unlike OFFSET.
 * A stack of cursors makes "previous" exact.
 */
export interface CursorPages {
  cursor: string | undefined;
  pageIndex: number;
  next: (lastId: string) => void;
  previous: () => void;
}

export function useCursorPages(resetKey: string): CursorPages {
  const [state, setState] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: resetKey, cursors: [undefined] });
  const cursors = state.key === resetKey ? state.cursors : [undefined];
  const next = useCallback(
    (lastId: string) => setState((s) => ({ key: resetKey, cursors: [...(s.key === resetKey ? s.cursors : [undefined]), lastId] })),
    [resetKey],
  );
  const previous = useCallback(
    () => setState((s) => ({ key: resetKey, cursors: s.cursors.length > 1 ? s.cursors.slice(0, -1) : s.cursors })),
    [resetKey],
  );
  return { cursor: cursors[cursors.length - 1], pageIndex: cursors.length - 1, next, previous };
}
