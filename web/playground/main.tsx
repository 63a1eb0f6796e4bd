/**
 * The playground: the whole RLHF loop in a browser tab (docs/playground.md). Entry of `npm run build:playground`
 * (web/vite.playground.config.ts); the page is playground.html.
 */
import { render } from 'preact';
import '../src/styles.css';
import './playground.css';
import { App } from './App.js';

render(<App />, document.getElementById('app')!);
