// Multicast (SnowFlock): a page sent to one child is delivered to every
// sibling on the same network, and a shared bitmap stops the source from
// sending a page to a network twice. Without `multicast`, each child is its own group.
import type { LinkModel } from '../../model/semantic';
import type { Child, ForkState } from './state';
import { groupBy } from '../../model/map-of-lists';

/** Receivers grouped by the frame that carries their pages: one per network with multicast, else one per child. */
export function frameGroups(s: ForkState, kids: Child[]): [LinkModel, Child[]][] {
  return s.fork.multicast ? [...groupBy(kids, (c) => c.link!)] : kids.map((c) => [c.link!, [c]] as [LinkModel, Child[]]);
}

/** The shared bitmap: true the first time a page is asked for on a network, false once it is on its way there. */
export function claimForNetwork(s: ForkState, link: LinkModel, key: number): boolean {
  const sent = s.groupSent.get(link) ?? new Set<number>();
  s.groupSent.set(link, sent);
  if (sent.has(key)) return false;
  sent.add(key);
  return true;
}

/** Every live child on a network: the receivers of a multicast frame. */
export function siblingsOn(s: ForkState, link: LinkModel): Child[] {
  return s.children.filter((k) => k.link === link && k.created && !k.failed);
}
