/**
 * Distinct uids for sandbox processes when the host runs as root: a process of another uid
 * cannot signal the platform or a sibling instance, which Node's permission model alone allows.
 */
export class UidAllocator {
  private readonly free: number[] = [];
  private next: number;

  constructor(
    private readonly first = 61000,
    private readonly count = 4000,
  ) {
    this.next = first;
  }

  acquire(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.next >= this.first + this.count) throw new Error('no free sandbox uid left');
    return this.next++;
  }

  release(uid: number): void {
    this.free.push(uid);
  }
}
