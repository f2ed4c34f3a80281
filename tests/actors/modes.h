/* The test actor's modes kept apart from actor.c (tree.c: the control channel; surface.c:
 * the kernel surface the default profile takes away; nest.c: what nesting must keep). */
#ifndef CORRAL_TESTS_ACTORS_MODES_H
#define CORRAL_TESTS_ACTORS_MODES_H

/* argv[1] is the mode; -1 when it is none of tree.c's. */
int actor_tree_mode(int argc, char **argv);
/* argv[1] is the mode; -1 when it is none of surface.c's. */
int actor_surface_mode(int argc, char **argv);
/* argv[1] is the mode; -1 when it is none of nest.c's. */
int actor_nest_mode(int argc, char **argv);

#endif
