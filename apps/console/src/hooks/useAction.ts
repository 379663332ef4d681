import { useCallback, useRef, useState } from 'react';

export interface ActionState<R> {
  pending: boolean;
  result: R | undefined;
  error: Error | undefined;
}

/** Runs one operator action at a time and keeps its outcome to show next to the buttons. */
export function useAction<R>() {
  const [state, setState] = useState<ActionState<R>>({ pending: false, result: undefined, error: undefined });
  const busy = useRef(false);

  const run = useCallback(async (fn: () => Promise<R>): Promise<boolean> => {
    if (busy.current) return false;
    busy.current = true;
    setState({ pending: true, result: undefined, error: undefined });
    try {
      const result = await fn();
      setState({ pending: false, result, error: undefined });
      return true;
    } catch (err) {
      setState({ pending: false, result: undefined, error: err as Error });
      return false;
    } finally {
      busy.current = false;
    }
  }, []);

  const reset = useCallback(() => setState({ pending: false, result: undefined, error: undefined }), []);
  return { ...state, run, reset };
}
