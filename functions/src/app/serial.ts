/** A queue that runs the tasks given to it one at a time, in order; a failed task does not stop the next. */
export type Serial = <T>(task: () => Promise<T>) => Promise<T>;

export function serial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.catch(() => undefined).then(task);
    tail = next;
    return next;
  };
}
