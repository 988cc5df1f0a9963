/*
 * main.c
 *	  tusk-server entry point.
 */
#include "config.h"

#include "server/postmaster.h"

int
main(int argc, char **argv)
{
	return PostmasterMain(argc, argv);
}
