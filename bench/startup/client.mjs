// One W4 client process as a user runs it (plain node, a built farcall: no tsx, whose loader
// would be measured too): import, connect, argv[4] x (get, inc), close. Prints when each
// phase ended (ms since the process's time origin) and the CPU used by then (ms, every
// thread: V8 compiles and collects garbage on threads of its own).
const phases = [["start", performance.now(), cpuMs()]];
const { connect, close } = await import(`${process.argv[2]}/index.js`);
phases.push(["import", performance.now(), cpuMs()]);
const remote = await connect(`tcp://127.0.0.1:${process.argv[3]}`, { authkey: "bench" });
phases.push(["connect", performance.now(), cpuMs()]);
const pairs = Number(process.argv[4]);
for (let i = 0; i < pairs; i++) {
  if (typeof (await remote.counter.get("views")) !== "number") throw new TypeError("get answered no number");
  await remote.counter.inc("views");
}
phases.push(["calls", performance.now(), cpuMs()]);
await close(remote);
phases.push(["close", performance.now(), cpuMs()]);
console.log(JSON.stringify(phases));

function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
