export { pointerKey } from '@waymark/sdk';
