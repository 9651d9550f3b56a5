// The target menu on a terminal, for `ssh alice@bastion` with no target: shows the entries, reads the choice as it is
// typed (the rules are the pure menuInput), and leaves what was typed after the choice in the stream for the target.
import type { ServerChannel } from 'ssh2';
import { menuInput, renderMenu, type MenuEntry, type MenuState } from './menu.js';

/** Resolves with the chosen entry, or undefined when the user quit or had nothing to choose. */
export function runMenu(channel: ServerChannel, user: string, entries: MenuEntry[], touch: () => void): Promise<MenuEntry | undefined> {
  channel.write(renderMenu(user, entries));
  if (entries.length === 0) return Promise.resolve(undefined);
  let state: MenuState = { entries, line: '' };
  return new Promise((resolve) => {
    const finish = (entry: MenuEntry | undefined) => {
      channel.off('data', onData).off('end', onEnd);
      channel.pause(); // what follows the choice is for the target: leave it in the stream
      resolve(entry);
    };
    const onEnd = () => finish(undefined);
    const onData = (chunk: Buffer) => {
      touch();
      const step = menuInput(state, chunk.toString('utf8'));
      channel.write(step.output);
      if (step.kind === 'chosen') {
        if (step.rest) channel.unshift(Buffer.from(step.rest)); // typed ahead: meant for the target
        finish(step.entry);
      }
      else if (step.kind === 'quit') finish(undefined);
      else state = step.state;
    };
    channel.on('data', onData).on('end', onEnd);
  });
}
