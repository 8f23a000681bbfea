import { useEffect } from 'react';

/** Sets the browser tab title, e.g. "Patients · Rapport". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Rapport`;
  }, [title]);
}
