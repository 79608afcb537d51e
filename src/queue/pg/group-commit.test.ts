import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PgGroupCommit } from './group-commit.js';

/** A fake database: records each commit's items; refuses any group containing 'bad' with `error`. */
function fake(error: Error & { code?: string }, maxInFlight = 2) {
  const commits: string[][] = [];
  const group = new PgGroupCommit<string, string>({
    maxInFlight,
    maxItems: 100,
    isolate: (err) => (err as { code?: string }).code === '23502',
    commit: async (items) => {
      commits.push(items);
      await new Promise((r) => setImmediate(r));
      if (items.includes('bad')) throw error;
      return items.map((i) => i.toUpperCase());
    },
  });
  return { group, commits };
}

describe('PgGroupCommit', () => {
  it('gathers the calls of one turn, and those arriving while commits run, into few commits', async () => {
    const { group, commits } = fake(new Error('x'), 1);
    const first = await Promise.all([group.run(['a']), group.run(['b', 'c'])]);
    assert.deepEqual(first, [['A'], ['B', 'C']]);
    assert.deepEqual(commits, [['a', 'b', 'c']]);
    const later = Array.from({ length: 50 }, (_, i) => group.run([`x${i}`]));
    assert.equal((await Promise.all(later)).length, 50);
    assert.ok(group.stats.commits <= 3, `${group.stats.commits} commits`);
    await group.close();
    await assert.rejects(group.run(['z']), { code: 'SHUTTING_DOWN' });
  });

  it("rejects only the call whose values the database refused, after trying the group's calls one by one", async () => {
    const { group } = fake(Object.assign(new Error('null value'), { code: '23502' }));
    const out = await Promise.allSettled([group.run(['a']), group.run(['b', 'bad']), group.run(['c'])]);
    assert.deepEqual(
      out.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    await group.close();
  });

  it('rejects the whole group at once when the database is unreachable', async () => {
    const { group, commits } = fake(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const out = await Promise.allSettled([group.run(['a']), group.run(['bad']), group.run(['c'])]);
    assert.deepEqual(
      out.map((o) => o.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.equal(commits.length, 1, 'no call-by-call retries against a database that is down');
    await group.close();
  });
});
