/**
 * Gathers calls made in the same event-loop turn into one write: `add` resolves with whether that
 * item's row changed once the shared statement ran (or rejects with its error).
 */
export class TurnBatch<T extends { id: string }> {
  private items: T[] = [];
  private waiters: Array<{ resolve: (changed: boolean) => void; reject: (err: unknown) => void }> = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly write: (items: T[]) => Promise<Set<string>>) {}

  add(item: T): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = undefined;
    const [items, waiters] = [this.items, this.waiters];
    this.items = [];
    this.waiters = [];
    this.write(items).then(
      (changed) => waiters.forEach((w, i) => w.resolve(changed.has(items[i]!.id))),
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
