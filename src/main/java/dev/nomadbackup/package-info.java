/**
 * The composition root: {@code Main} reads the environment and {@code Operator} wires every part
 * by hand (client, templates, health, leader election, and per term a cache, a controller and a
 * reconciler). It may import every package; nothing imports it.
 */
package dev.nomadbackup;
