/**
 * A Queue's maxsize and a Barrier's parties that are no positive int (`m.Queue('x')`,
 * `m.Barrier(0)`): made and failing later as on Python's own SyncManager server, byte for
 * byte under 2.7 and 3.8-3.13; a 3.12 client gets 3.13's refusal of a Barrier's parties, since
 * the handshake cannot tell 3.12 from 3.13.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { againstOwnServer, findPython3, managerFixture, pythonVersions } from "../fixtures/pymanager/python-run.js";

const LOOSE = managerFixture("loose_arguments.py");

const python = findPython3("pymanager Queue/Barrier argument tests");
const VERSIONS = pythonVersions("Queue and Barrier arguments against Python's own server");

describe("a Queue's maxsize and a Barrier's parties that are no positive int", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`are taken and fail later as on Python's own server (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const { ours, theirs } = await againstOwnServer(t, exe!, LOOSE);
      if (version === "3.12") {
        // 3.13's rule: the barrier lines differ from 3.12's own server, the queue lines do not.
        const queues = (text: string) => text.split("\n").filter((line) => !/^(barrier| {2}parties| {2}wait)/.test(line)).join("\n");
        assert.equal(queues(ours), queues(theirs));
        assert.match(ours, /^barrier zero RemoteError ValueError: parties must be > 0$/m);
      } else {
        assert.equal(ours, theirs);
      }
      if (version === "2.7") {
        assert.match(ours, /^queue str None None None False 3 False$/m, "2.7 orders a number before a str: no bound");
      } else {
        assert.match(ours, /^queue str TypeError '>' not supported between instances of 'str' and 'int' .* TypeError '<' not supported between instances of 'int' and 'str' 0 True$/m);
        assert.match(ours, /^queue float None None None True 3 False$/m, "a maxsize of 2.5 holds 3 items");
      }
      if (version === "3.8" || version === "3.11") assert.match(ours, /^barrier zero BarrierProxy\n {2}parties True '0' waiting 0 broken False\n {2}wait BrokenBarrierError {2}broken True/m);
    });
  }
});
