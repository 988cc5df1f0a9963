> sort l get # get w_* get h_*-
1


2


3
1

10


