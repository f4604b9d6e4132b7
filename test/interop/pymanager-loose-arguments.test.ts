/**
 * A Queue's maxsize and a Barrier's parties that are no positive int (`m.Queue('x')`,
 * `m.Barrier(0)`): made and failing later as on Python's own SyncManager server, byte for
 * byte under 2.7 and 3.8-3.13; a 3.12 client gets 3.13's refusal of a Barrier's parties, since
 * the handshake cannot tell 3.12 from 3.13.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { farcallManagerPort, findPython3, managerFixture, pythonVersions, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const LOOSE = managerFixture("loose_arguments.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager Queue/Barrier argument tests");
const VERSIONS = pythonVersions("Queue and Barrier arguments against Python's own server");

describe("a Queue's maxsize and a Barrier's parties that are no positive int", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`are taken and fail later as on Python's own server (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const ownPort = (await own.line()).split(" ")[1]!;
      const port = await farcallManagerPort(t);
      const theirs = await runPython(exe!, [LOOSE, "127.0.0.1", ownPort], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await runPython(exe!, [LOOSE, "127.0.0.1", port], RUN_MS);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^done$/m, "the script ran to its end");
      if (version === "3.12") {
        // 3.13's rule: the barrier lines differ from 3.12's own server, the queue lines do not.
        const queues = (text: string) => text.split("\n").filter((line) => !/^(barrier| {2}parties| {2}wait)/.test(line)).join("\n");
        assert.equal(queues(ours.stdout), queues(theirs.stdout));
        assert.match(ours.stdout, /^barrier zero RemoteError ValueError: parties must be > 0$/m);
      } else {
        assert.equal(ours.stdout, theirs.stdout);
      }
      if (version === "2.7") {
        assert.match(ours.stdout, /^queue str None None None False 3 False$/m, "2.7 orders a number before a str: no bound");
      } else {
        assert.match(ours.stdout, /^queue str TypeError '>' not supported between instances of 'str' and 'int' .* TypeError '<' not supported between instances of 'int' and 'str' 0 True$/m);
        assert.match(ours.stdout, /^queue float None None None True 3 False$/m, "a maxsize of 2.5 holds 3 items");
      }
      if (version === "3.8" || version === "3.11") assert.match(ours.stdout, /^barrier zero BarrierProxy\n {2}parties True '0' waiting 0 broken False\n {2}wait BrokenBarrierError {2}broken True/m);
    });
  }
});
