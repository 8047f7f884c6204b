/**
 * The one way into the `zookeeper` package's native clients for anything that may open, write to or close a socket
 * (`init`, every request, `close`): a process-wide queue, run from a `setImmediate` callback, so outside every native
 * callback, one call at a time, in the order queued.
 *
 * Why. The package watches each client's socket with a libuv poll handle that it only reconsiders in its own callbacks.
 * The C library under it closes that socket at two moments the package is not told about: a request whose send fails
 * (the server went away) closes it on the spot, and a lost connection closes it before the library runs the
 * callbacks (JavaScript, promise jobs included) that precede the package's next look at its poll handle. Until then
 * libuv keeps the handle registered for that file descriptor number. A client that opens a socket meanwhile (its own
 * reconnection or a new client's set-up, here or in any other client of the process) may get the same number; the
 * package then creates its poll handle without checking the result of `uv_poll_init` (it fails, the number being
 * taken) and starts the uninitialised handle: the process aborts (`uv_poll_start: Assertion
 * '!uv__is_closing(handle)' failed`) or crashes. Run from here, nothing reaches a native client while another one is
 * between closing a socket and dropping its poll handle, and a failed send is seen (the client's state) right after
 * it, before anything else can open a socket: `ZookeeperSession` then closes that client at once, which drops its
 * poll handle.
 */
const queue: (() => void)[] = [];
let scheduled = false;

/** Runs `task` (a call into a native client) at the next safe point, after the tasks queued before it. */
export function runNative(task: () => void): void {
  queue.push(task);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  // Tasks that tasks queue (a replacement client's set-up, say) run in this same pass: it is just as safe a point.
  for (let tasks = queue.splice(0); tasks.length > 0; tasks = queue.splice(0)) {
    for (const task of tasks) {
      try {
        task();
      } catch (error) {
        // Tasks handle their own errors; one that throws is a bug: surface it, without stranding the tasks after it.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}
