import type { ReactNode } from "react";
import type { Page } from "../api";
import type { Resource } from "../hooks";
import type { CursorPages } from "../paging";
import { Pager } from "./Pager";
import { ErrorState, Loading } from "./States";

/** A cursor-paged list with its designed loading, error and empty states. While live polling, a
 * failed refresh shows the error above the rows it last had instead of blanking them. */
export function PagedList<T extends { id: string }>({
  resource,
  pages,
  pageSize,
  loadingLabel,
  empty,
  children,
}: {
  resource: Resource<Page<T>>;
  pages: CursorPages;
  pageSize: number;
  loadingLabel: string;
  empty: ReactNode;
  children: (rows: T[]) => ReactNode;
}) {
  if (!resource.data) {
    return resource.error ? <ErrorState error={resource.error} onRetry={resource.reload} /> : <Loading label={loadingLabel} />;
  }
  const page = resource.data;
  return (
    <>
      {resource.error ? <ErrorState error={resource.error} onRetry={resource.reload} /> : null}
      {page.data.length ? children(page.data) : empty}
      <Pager
        from={pages.pageIndex * pageSize}
        count={page.data.length}
        total={page.total}
        totalCapped={page.total_capped}
        hasPrevious={pages.pageIndex > 0}
        hasMore={page.has_more}
        onPrevious={pages.previous}
        onNext={() => {
          const last = page.data.at(-1);
          if (last) pages.next(last.id);
        }}
        loading={resource.loading}
      />
    </>
  );
}
