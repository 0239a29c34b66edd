// mock tests follow
