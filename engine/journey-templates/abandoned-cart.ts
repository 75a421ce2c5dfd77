import { edges, html, type JourneyTemplate, node, TO_FILL } from './build.js';

const purchased = { event: 'purchase', op: 'count', gte: 1, within: 'PT4H' };

export const abandonedCart: JourneyTemplate = {
  id: 'abandoned-cart',
  name: 'Abandoned cart',
  description:
    'A reminder four hours after a cart is left; still no purchase after two days, an A/B split of a discount against free shipping.',
  graph: {
    nodes: [
      node('cart', 'core.event', { event: 'cart.abandoned' }, [1, 0]),
      node('wait', 'core.wait', { duration: 'PT4H' }, [1, 1]),
      node('bought', 'core.condition', { filter: purchased }, [1, 2]),
      node(
        'reminder',
        'email.send',
        {
          from: TO_FILL,
          subject: 'You left something in your cart',
          html: html(['Your cart is waiting for you.'], [['cart', 'Back to my cart']]),
          category: 'marketing',
        },
        [1.5, 3],
      ),
      node('purchase', 'core.wait-for-event', { event: 'purchase', timeout: 'P2D' }, [1.5, 4]),
      node(
        'offer',
        'core.split',
        {
          variants: [
            { key: 'a', weight: 50 },
            { key: 'b', weight: 50 },
          ],
        },
        [2, 5],
      ),
      node(
        'discount',
        'email.send',
        {
          from: TO_FILL,
          subject: '10 % off what is in your cart',
          html: html(['Use code SAVE10 at checkout.'], [['cart', 'Use my discount']]),
          category: 'marketing',
        },
        [1.5, 6],
      ),
      node(
        'shipping',
        'email.send',
        {
          from: TO_FILL,
          subject: 'Free shipping on your cart',
          html: html(['Shipping is on us this week.'], [['cart', 'Complete my order']]),
          category: 'marketing',
        },
        [2.5, 6],
      ),
      node('converted', 'core.exit', { goal: 'purchased' }, [0, 7]),
      node('done', 'core.exit', {}, [2, 7]),
    ],
    edges: edges(
      ['cart', 'out', 'wait'],
      ['wait', 'out', 'bought'],
      ['bought', 'yes', 'converted'],
      ['bought', 'no', 'reminder'],
      ['reminder', 'sent', 'purchase'],
      ['purchase', 'event', 'converted'],
      ['purchase', 'timeout', 'offer'],
      ['offer', 'a', 'discount'],
      ['offer', 'b', 'shipping'],
      ['discount', 'sent', 'done'],
      ['shipping', 'sent', 'done'],
    ),
  },
  settings: { reentry: 'once-at-a-time', exitOn: ['purchase'] },
};
