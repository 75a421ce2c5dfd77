/** A trailing debounce with `flush` (save now, e.g. before leaving) and `cancel`. */
export function debounce(fn: () => void, ms: number): { (): void; flush(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = (): void => {
    timer = null;
    fn();
  };
  const call = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  call.flush = (): void => {
    if (timer) {
      clearTimeout(timer);
      run();
    }
  };
  call.cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return call;
}
