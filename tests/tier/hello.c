/* A minimal C program for the tier tests: built by the system compiler under the `standard`
 * filter, then run under it. Uses stdio (write, fstat/newfstatat) and exits with 0. */
#include <stdio.h>

int main(void)
{
	printf("hello from mvm\n");
	return 0;
}
