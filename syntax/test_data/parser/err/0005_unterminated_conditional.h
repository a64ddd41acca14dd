#ifndef GUARD
#define GUARD
#if X
int x;
