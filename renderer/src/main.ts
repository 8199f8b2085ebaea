import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import StartupFailure from './screens/StartupFailure.svelte';
import { connect } from './api';
import { AppState } from './stores/app.svelte';

const target = document.getElementById('app')!;

try {
  const app = new AppState(connect(window));
  mount(App, { target, props: { app } });
  void app.init();
} catch (error) {
  // Without a connection there is nothing to show but why, and what to do about it.
  mount(StartupFailure, { target, props: { error } });
}
